//! Plain string columns encoded to dense codes ([`StringCodes`]), made on first use and shared by
//! every later query. A column's encoding is made a batch at a time, by a query (at once, paced)
//! or by the warm-up (in idle time); whichever comes goes on from where the other stopped: the
//! encoding in progress lives beside the codes, in the column's [`Codes`] cell, which every data
//! set holding that column's batches shares (its clones, and those with derived columns added).

use std::sync::{Arc, Mutex, OnceLock};

use arrow_array::RecordBatch;

use crate::query::intern::StrInterner;

/// A plain string column encoded to dense codes (0 for null, else the interner's code + 1), made
/// on first use by a query and shared by every later query until the data changes: GROUP BY and
/// COUNT_DISTINCT on it then work on integers.
pub struct StringCodes {
    pub interner: StrInterner,
    /// Per batch, per row.
    pub batches: Vec<Vec<u32>>,
}

impl StringCodes {
    /// Bytes of memory it holds (codes and interner).
    pub fn heap_bytes(&self) -> usize {
        heap_bytes(&self.interner, &self.batches)
    }
}

/// Bytes of memory an interner and its per-batch codes hold.
fn heap_bytes(interner: &StrInterner, batches: &[Vec<u32>]) -> usize {
    interner.heap_bytes() + batches.iter().map(|b| b.capacity() * 4).sum::<usize>()
}

/// A column's codes in the making: the batches encoded so far.
#[derive(Default)]
struct Encoding {
    interner: StrInterner,
    batches: Vec<Vec<u32>>,
}

impl Encoding {
    fn rows(&self) -> usize {
        self.batches.iter().map(Vec::len).sum()
    }
}

/// Where a column's encoding in progress is.
#[derive(Default)]
enum Partial {
    #[default]
    None,
    /// Stopped part way (a query stopped, or between the warm-up's steps): the next to ask goes on.
    Paused(Encoding),
    /// Being stepped right now (by a paced query between its turns).
    Busy,
}

/// One column's cell: its codes once made (`None` inside: not a plain string column), and the
/// encoding in progress.
#[derive(Default)]
pub(super) struct Codes {
    done: OnceLock<Option<Arc<StringCodes>>>,
    partial: Mutex<Partial>,
}

impl Codes {
    pub(super) fn get(&self) -> Option<&Option<Arc<StringCodes>>> {
        self.done.get()
    }
}

/// How far a column's encoding is after [`Encoder::step`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Encoded {
    /// Batches remain: `rows` encoded so far, `distinct` values among them, `heap_bytes` held.
    More { batches: usize, rows: usize, distinct: usize, heap_bytes: usize },
    /// The codes are made (or the column turned out not to be a plain string column).
    Done,
}

/// A column's encoding taken out of its cell to be stepped; put back, as far as it got, when
/// dropped before the end (a stopped query), so that the next to ask goes on from there.
pub(super) struct Encoder<'a> {
    cell: &'a Codes,
    col: usize,
    e: Encoding,
    /// Whether the cell says `Busy` for this one (else another has it: this one is private, and
    /// thrown away if stopped).
    owner: bool,
}

impl<'a> Encoder<'a> {
    /// The encoding of column `col` in `cell`, where it was left, or from the start; `None` when
    /// `busy_ok` is false and someone else is stepping it now.
    pub(super) fn take(cell: &'a Codes, col: usize, busy_ok: bool) -> Option<Encoder<'a>> {
        let mut partial = cell.partial.lock().unwrap_or_else(|p| p.into_inner());
        let (e, owner) = match std::mem::replace(&mut *partial, Partial::Busy) {
            Partial::Paused(e) => (e, true),
            Partial::None => (Encoding::default(), true),
            Partial::Busy if busy_ok => (Encoding::default(), false),
            Partial::Busy => return None,
        };
        Some(Encoder { cell, col, e, owner })
    }

    /// Rows encoded so far.
    pub(super) fn rows(&self) -> usize {
        self.e.rows()
    }

    /// Encode the next batch of `batches` (the data set's); after the last one (or at a batch that
    /// shows the column is not a plain string column) the codes are the cell's, unless another
    /// finished first: theirs are kept.
    pub(super) fn step(&mut self, batches: &[RecordBatch]) -> Encoded {
        use crate::query::column::{strings, StrCol};
        if self.cell.done.get().is_some() {
            return Encoded::Done;
        }
        let Some(b) = batches.get(self.e.batches.len()) else {
            let codes = StringCodes { interner: std::mem::take(&mut self.e.interner), batches: std::mem::take(&mut self.e.batches) };
            let _ = self.cell.done.set(Some(Arc::new(codes)));
            return Encoded::Done;
        };
        let sc = match strings(b.column(self.col)) {
            Some(StrCol::Dict { .. }) | None => {
                let _ = self.cell.done.set(None);
                return Encoded::Done;
            }
            Some(sc) => sc,
        };
        let all: Vec<u32> = (0..b.num_rows() as u32).collect();
        let mut codes = Vec::with_capacity(b.num_rows());
        self.e.interner.intern_rows(&sc, &all, 1, 0, &mut codes);
        self.e.batches.push(codes);
        if self.e.batches.len() == batches.len() {
            return self.step(batches);
        }
        Encoded::More {
            batches: self.e.batches.len(),
            rows: self.e.rows(),
            distinct: self.e.interner.len(),
            heap_bytes: heap_bytes(&self.e.interner, &self.e.batches),
        }
    }

    /// Make room for as many values as the column will hold at the rate of new values so far
    /// (which only falls as rows go on): a query that will finish the encoding then builds its
    /// table once, at about its final size, instead of growing it (and placing every value again)
    /// a dozen times. The warm-up, which may give a column up, does not.
    pub(super) fn presize(&mut self, total: usize) {
        let rows = self.e.rows();
        if rows == 0 {
            return;
        }
        // At most 8 times the values seen: a column whose first rows are nearly all new but
        // whose values repeat later (a million users over ten million events) would otherwise
        // take room for ten times what it holds, in a memory that never shrinks.
        let seen = self.e.interner.len();
        self.e.interner.reserve(((seen as u64 * total as u64 / rows as u64) as usize).min(seen.saturating_mul(8)));
    }

    /// Give this encoding up: what it holds is freed, and the next to ask starts again.
    pub(super) fn abandon(mut self) {
        self.e = Encoding::default();
        if self.owner {
            *self.cell.partial.lock().unwrap_or_else(|p| p.into_inner()) = Partial::None;
            self.owner = false;
        }
    }
}

impl Drop for Encoder<'_> {
    fn drop(&mut self) {
        let mut partial = self.cell.partial.lock().unwrap_or_else(|p| p.into_inner());
        let finished = self.cell.done.get().is_some();
        if self.owner {
            *partial = if finished { Partial::None } else { Partial::Paused(std::mem::take(&mut self.e)) };
        } else if !finished && !self.e.batches.is_empty() && matches!(*partial, Partial::None) {
            // The owner was stopped and gave its part up: this one's goes further.
            *partial = Partial::Paused(std::mem::take(&mut self.e));
        }
    }
}
