//! Order statistics without sorting: the k-th smallest value, and the value at a running-weight
//! position, by three-way quickselect; and a sort in steps for when every order statistic is
//! needed. Over a large slot (a percentile of millions of events in
//! one group) each partition round is a step of its own ([`crate::pace`]); past [`STEP`] values
//! the rest is one step. After [`MAX_ROUNDS`] rounds (pivots an adversary chose badly) the rest
//! falls back to the standard library's introselect, or a sort: never quadratic.

use std::cmp::Ordering::*;

use crate::error::Result;
use crate::pace::{Pace, Step};

/// Windows longer than this are partitioned a round per step.
pub const STEP: usize = 1 << 16;
const MAX_ROUNDS: u64 = 48;
const STAGE: &str = "selecting percentiles";

/// Three-way partition by `key` around `pivot` (total order): `[< pivot][= pivot][> pivot]`;
/// returns where the equal part starts and ends.
pub fn partition3<T>(s: &mut [T], pivot: f64, key: impl Fn(&T) -> f64) -> (usize, usize) {
    let (mut lt, mut i, mut gt) = (0, 0, s.len());
    while i < gt {
        match key(&s[i]).total_cmp(&pivot) {
            Less => {
                s.swap(lt, i);
                lt += 1;
                i += 1;
            }
            Greater => {
                gt -= 1;
                s.swap(i, gt);
            }
            Equal => i += 1,
        }
    }
    (lt, gt)
}

/// Median of the first, middle and last keys (total order).
fn median3<T>(s: &[T], key: impl Fn(&T) -> f64) -> f64 {
    let n = s.len();
    let (a, b, c) = (key(&s[0]), key(&s[n / 2]), key(&s[n - 1]));
    if a.total_cmp(&b).is_lt() == b.total_cmp(&c).is_lt() {
        b
    } else if a.total_cmp(&b).is_lt() == a.total_cmp(&c).is_lt() {
        c
    } else {
        a
    }
}

/// Put the `k`-th smallest of `v` (total order) at `k`, with no greater value before it and no
/// smaller one after it.
pub async fn nth(v: &mut [f64], k: usize, pace: &mut Pace<'_>) -> Result<()> {
    if k >= v.len() {
        return Ok(());
    }
    if k == 0 {
        // The least (in the total order: NaN above infinity): one scan.
        let min_at = (1..v.len()).fold(0, |m, i| if v[i].total_cmp(&v[m]).is_lt() { i } else { m });
        v.swap(0, min_at);
        return Ok(());
    }
    let (mut lo, mut hi, mut rounds) = (0, v.len(), 0);
    while hi - lo > STEP && rounds < MAX_ROUNDS {
        let s = &mut v[lo..hi];
        let (lt, gt) = partition3(s, median3(s, |x| *x), |x| *x);
        rounds += 1;
        if k - lo < lt {
            hi = lo + lt;
        } else if k - lo < gt {
            return Ok(());
        } else {
            lo += gt;
        }
        pace.tick(Step { stage: STAGE, done: rounds, total: 0 }).await?;
    }
    v[lo..hi].select_nth_unstable_by(k - lo, f64::total_cmp);
    Ok(())
}

/// The value at running-weight position `pos` of (value, weight) pairs taken in value order (the
/// first value whose running weight passes `pos`; the largest when none does). Expected O(n).
pub async fn weighted_at(pairs: &mut [(f64, f64)], mut pos: f64, pace: &mut Pace<'_>) -> Result<f64> {
    let mut s = pairs;
    let mut rounds = 0;
    loop {
        if s.len() <= 32 || rounds >= MAX_ROUNDS {
            s.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            let mut acc = 0.0;
            for (x, w) in s.iter() {
                acc += w;
                if pos < acc {
                    return Ok(*x);
                }
            }
            return Ok(s.last().map_or(f64::NAN, |p| p.0));
        }
        if s.len() > STEP {
            rounds += 1;
            pace.tick(Step { stage: STAGE, done: rounds, total: 0 }).await?;
        }
        let n = s.len();
        let pivot = median3(s, |p| p.0);
        let (lt, gt) = partition3(s, pivot, |p| p.0);
        let below: f64 = s[..lt].iter().map(|p| p.1).sum();
        if pos < below {
            s = &mut s[..lt];
            continue;
        }
        let equal: f64 = s[lt..gt].iter().map(|p| p.1).sum();
        if pos < below + equal || gt == n {
            return Ok(pivot);
        }
        pos -= below + equal;
        s = &mut s[gt..];
    }
}

/// Sort `v` by `key` (total order). Up to [`STEP`] values in one go; longer ones as sorted runs of
/// [`STEP`] merged pairwise, a run or a merge per step (a scratch copy of `v` while merging).
pub async fn sort<T: Copy>(v: &mut [T], key: impl Fn(&T) -> f64, pace: &mut Pace<'_>) -> Result<()> {
    let n = v.len();
    let cmp = |a: &T, b: &T| key(a).total_cmp(&key(b));
    if n <= STEP {
        v.sort_unstable_by(cmp);
        return Ok(());
    }
    let runs = n.div_ceil(STEP) as u64;
    for (i, run) in v.chunks_mut(STEP).enumerate() {
        run.sort_unstable_by(cmp);
        pace.tick(Step { stage: "sorting values", done: i as u64 + 1, total: runs }).await?;
    }
    let mut scratch: Vec<T> = v.to_vec();
    // Merged runs alternate between `v` and `scratch`; `in_v` says where the current ones are.
    let (mut width, mut in_v) = (STEP, true);
    while width < n {
        {
            let (src, dst): (&[T], &mut [T]) = if in_v { (&*v, &mut scratch[..]) } else { (&scratch[..], &mut *v) };
            for start in (0..n).step_by(2 * width) {
                let (mid, end) = ((start + width).min(n), (start + 2 * width).min(n));
                merge(&src[start..mid], &src[mid..end], &mut dst[start..end], cmp);
                pace.tick(Step { stage: "sorting values", done: end as u64, total: n as u64 }).await?;
            }
        }
        in_v = !in_v;
        width *= 2;
    }
    if !in_v {
        v.copy_from_slice(&scratch);
    }
    Ok(())
}

/// Merge sorted `a` and `b` into `out` (`a.len() + b.len()` long).
fn merge<T: Copy>(a: &[T], b: &[T], out: &mut [T], cmp: impl Fn(&T, &T) -> std::cmp::Ordering) {
    let (mut i, mut j) = (0, 0);
    for o in out.iter_mut() {
        if j >= b.len() || (i < a.len() && cmp(&a[i], &b[j]).is_le()) {
            *o = a[i];
            i += 1;
        } else {
            *o = b[j];
            j += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pace::finish;

    /// A deterministic shuffle of 0..n with many duplicates (values i / 3).
    fn values(n: usize) -> Vec<f64> {
        let mut v: Vec<f64> = (0..n).map(|i| (i / 3) as f64).collect();
        let mut next = crate::xorshift(0x9e37_79b9_7f4a_7c15);
        for i in (1..n).rev() {
            v.swap(i, (next() % (i as u64 + 1)) as usize);
        }
        v
    }

    #[test]
    fn nth_agrees_with_a_sort_over_many_rounds() {
        let n = STEP * 5 + 17;
        let mut sorted = values(n);
        sorted.sort_by(f64::total_cmp);
        for k in [0, 1, n / 3, n / 2, n - 2, n - 1] {
            let mut v = values(n);
            finish(nth(&mut v, k, &mut Pace::unpaced())).unwrap();
            assert_eq!(v[k], sorted[k], "k = {k}");
            assert!(v[..k].iter().all(|x| *x <= v[k]) && v[k + 1..].iter().all(|x| *x >= v[k]), "k = {k}");
        }
    }

    #[test]
    fn adversarial_pivots_fall_back_instead_of_going_quadratic() {
        // Sorted input with one distinct value per slot keeps median-of-three honest; all-equal
        // input ends in one round. Both give the right answer.
        let n = STEP * 3;
        let mut v: Vec<f64> = (0..n).map(|i| i as f64).collect();
        finish(nth(&mut v, n - 5, &mut Pace::unpaced())).unwrap();
        assert_eq!(v[n - 5], (n - 5) as f64);
        let mut same = vec![7.0; n];
        finish(nth(&mut same, 12, &mut Pace::unpaced())).unwrap();
        assert_eq!(same[12], 7.0);
    }

    #[test]
    fn a_sort_in_steps_sorts() {
        for n in [10, STEP, STEP + 1, STEP * 3 + 5, STEP * 4] {
            let mut v = values(n);
            let mut want = v.clone();
            want.sort_by(f64::total_cmp);
            finish(sort(&mut v, |x| *x, &mut Pace::unpaced())).unwrap();
            assert_eq!(v, want, "n = {n}");
        }
        let mut pairs: Vec<(f64, f64)> = values(STEP * 2 + 3).into_iter().map(|x| (-x, x)).collect();
        finish(sort(&mut pairs, |p| p.0, &mut Pace::unpaced())).unwrap();
        assert!(pairs.windows(2).all(|w| w[0].0 <= w[1].0) && pairs.iter().all(|p| p.0 == -p.1));
    }

    #[test]
    fn weighted_position_counts_weights_as_copies() {
        let n = STEP * 2 + 5;
        let v = values(n);
        let mut pairs: Vec<(f64, f64)> = v.iter().map(|x| (*x, 2.0)).collect();
        let mut sorted = v.clone();
        sorted.sort_by(f64::total_cmp);
        // Each value counts twice: position p lands on sorted[p / 2].
        for pos in [0.0, 1.0, 2.5, (n as f64) * 0.99, (2 * n - 1) as f64] {
            let got = finish(weighted_at(&mut pairs, pos, &mut Pace::unpaced())).unwrap();
            assert_eq!(got, sorted[(pos / 2.0) as usize], "pos {pos}");
        }
        assert_eq!(finish(weighted_at(&mut pairs, 1e18, &mut Pace::unpaced())).unwrap(), sorted[n - 1]);
    }
}
