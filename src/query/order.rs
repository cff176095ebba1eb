//! ORDER BY and LIMIT over a query's groups: the sort keys (the first calculation descending by
//! default, ties by the breakdowns in order), how outputs compare (nulls last), and the top
//! `limit` selected before sorting.

use std::cmp::Ordering;

use super::aggregate::Output;
use super::spec::{CalcOp, Calculation, QuerySpec};

/// Compare two outputs for ordering: nulls last in both directions.
pub(super) fn cmp_outputs(a: &Output, b: &Output, descending: bool) -> Ordering {
    match (a.as_f64(), b.as_f64()) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => {
            let o = x.total_cmp(&y);
            if descending { o.reverse() } else { o }
        }
    }
}

pub(crate) enum SortKey {
    Calc(usize, bool),
    Breakdown(usize, bool),
}

pub(crate) fn sort_keys(spec: &QuerySpec, calcs: &[Calculation]) -> Vec<SortKey> {
    let mut keys = Vec::new();
    if spec.orders.is_empty() {
        if let Some(i) = calcs.iter().position(|c| c.op != CalcOp::Heatmap) {
            keys.push(SortKey::Calc(i, true));
        }
    }
    for o in &spec.orders {
        match o.op {
            Some(op) => {
                let c = Calculation { op, column: o.column.clone() };
                if let Some(i) = calcs.iter().position(|x| *x == c) {
                    keys.push(SortKey::Calc(i, o.descending));
                }
            }
            None => {
                if let Some(i) = spec.breakdowns.iter().position(|b| Some(b) == o.column.as_ref()) {
                    keys.push(SortKey::Breakdown(i, o.descending));
                }
            }
        }
    }
    // Ties: breakdowns in listed order, ascending, skipping those already ordered.
    for i in 0..spec.breakdowns.len() {
        if !keys.iter().any(|k| matches!(k, SortKey::Breakdown(j, _) if *j == i)) {
            keys.push(SortKey::Breakdown(i, false));
        }
    }
    keys
}

/// Keep the first `limit` of `rows` (pairs of group id and position) by `cmp`, whose first key
/// is `key` of the position (nulls last, else ascending or `desc`): selected on that key alone as
/// one integer per row, with the full comparison only among the rows that tie with the last one
/// kept (with ~200k groups ordered by COUNT, most comparisons would otherwise fall through to
/// comparing breakdown strings). The kept rows are left unordered.
pub(super) fn top_by_first_key(rows: &mut Vec<(u32, u32)>, limit: usize, key: impl Fn(u32) -> Option<f64>, desc: bool, cmp: impl Fn(&(u32, u32), &(u32, u32)) -> Ordering) {
    // `f64::total_cmp`'s order as an unsigned integer (reversed for descending), halved so that
    // u64::MAX, for nulls, comes after every value. Halving can only make two values tie, and
    // ties are settled by `cmp`.
    let rank = |p: u32| -> u64 {
        match key(p) {
            None => u64::MAX,
            Some(x) => {
                let b = x.to_bits();
                let t = if b >> 63 == 1 { !b } else { b | (1 << 63) };
                (if desc { !t } else { t }) >> 1
            }
        }
    };
    // The `limit`-th smallest rank, from one pass holding the `limit` smallest seen in a heap
    // (most rows fail the first comparison: no list of every row's rank to select in).
    let mut heap = std::collections::BinaryHeap::with_capacity(limit);
    for r in rows.iter() {
        let k = rank(r.1);
        if heap.len() < limit {
            heap.push(k);
        } else if let Some(mut top) = heap.peek_mut().filter(|t| k < **t) {
            *top = k;
        }
    }
    let Some(&bound) = heap.peek() else { return };
    let mut kept = Vec::with_capacity(limit);
    let mut ties = Vec::new();
    for &r in rows.iter() {
        let k = rank(r.1);
        if k < bound {
            kept.push(r);
        } else if k == bound {
            ties.push(r);
        }
    }
    // At most limit − 1 rows rank before the bound, so at least one tie is needed.
    let need = limit - kept.len();
    if ties.len() > need {
        ties.select_nth_unstable_by(need - 1, &cmp);
        ties.truncate(need);
    }
    kept.extend(ties);
    *rows = kept;
}


#[cfg(test)]
mod tests {
    use super::*;

    /// The top `limit` by a first key (with nulls, negative numbers, zeros of both signs, NaN and
    /// many ties) then a second one are those of a full sort.
    #[test]
    fn top_by_first_key_keeps_what_a_full_sort_keeps() {
        let mut next = crate::xorshift(0x2545_F491_4F6C_DD1D);
        let pool = [None, Some(0.0), Some(-0.0), Some(1.0), Some(-1.0), Some(2.5), Some(1e300), Some(-1e-300), Some(f64::NAN), Some(f64::INFINITY)];
        for case in 0..400 {
            let n = 1 + (next() % 300) as usize;
            // Few distinct first keys in some cases (ties everywhere), many in others.
            let spread = if case % 2 == 0 { 3 } else { 1000 };
            let keys: Vec<Option<f64>> = (0..n).map(|_| if next() % 5 == 0 { pool[(next() % pool.len() as u64) as usize] } else { Some((next() % spread) as f64 - 7.0) }).collect();
            let second: Vec<u32> = (0..n).map(|_| (next() % 50) as u32).collect();
            for desc in [false, true] {
                let cmp = |a: &(u32, u32), b: &(u32, u32)| {
                    let first = cmp_outputs(&keys[a.1 as usize].map_or(Output::Null, Output::Float), &keys[b.1 as usize].map_or(Output::Null, Output::Float), desc);
                    first.then(second[a.0 as usize].cmp(&second[b.0 as usize])).then(a.0.cmp(&b.0))
                };
                let all: Vec<(u32, u32)> = (0..n as u32).map(|i| (i, i)).collect();
                let mut want = all.clone();
                want.sort_by(cmp);
                for limit in [1, 2, 5, n / 2 + 1, n.saturating_sub(1).max(1)] {
                    if n <= limit {
                        continue;
                    }
                    let mut got = all.clone();
                    top_by_first_key(&mut got, limit, |p| keys[p as usize], desc, cmp);
                    got.sort_by(cmp);
                    assert_eq!(got, want[..limit], "case {case} n {n} limit {limit} desc {desc}");
                }
            }
        }
    }
}
