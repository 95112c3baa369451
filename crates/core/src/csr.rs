//! Compressed sparse rows: the one adjacency-list type of dualmatch.
//!
//! A [`Csr`] holds `rows()` rows of values in one array, with the offsets
//! where each row starts: row `i` is `values[offsets[i]..offsets[i + 1]]`.
//! Build one from `(row, value)` pairs ([`Csr::from_pairs`], a stable
//! counting sort), from per-row counts of values already in row order
//! ([`Csr::from_counts`]), or row by row ([`CsrBuilder`]).
//!
//! ```
//! use dualmatch_core::csr::Csr;
//!
//! // The groups of each of 3 sites, from (site, group) pairs in any order.
//! let groups = Csr::from_pairs(3, [(2, 'a'), (0, 'b'), (2, 'c')]);
//! assert_eq!(groups.row(0), &['b']);
//! assert!(groups.row(1).is_empty());
//! assert_eq!(groups.row(2), &['a', 'c']);
//! assert_eq!(groups.range(2), 1..3);
//! ```

use std::ops::Range;

/// Rows of values in one array (compressed sparse rows). Offsets are `u32`,
/// so a `Csr` holds fewer than 2³² values.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Csr<T> {
    /// `offsets[i]..offsets[i + 1]` are the positions of row `i`; one more
    /// entry than rows, starting at 0 and ending at `values.len()`.
    offsets: Vec<u32>,
    values: Vec<T>,
}

impl<T> Default for Csr<T> {
    fn default() -> Self {
        Csr { offsets: vec![0], values: Vec::new() }
    }
}

/// The offset after `n` values.
///
/// # Panics
/// When `n` does not fit in a `u32`.
fn offset(n: usize) -> u32 {
    u32::try_from(n).expect("a Csr holds fewer than 2^32 values")
}

impl<T> Csr<T> {
    /// `rows` empty rows.
    pub fn empty(rows: usize) -> Self {
        Csr { offsets: vec![0; rows + 1], values: Vec::new() }
    }

    /// Rows of `counts[i]` values each, taken in order from `values`.
    ///
    /// # Panics
    /// When the counts do not add up to `values.len()`, or it does not fit
    /// in a `u32`.
    pub fn from_counts(counts: impl IntoIterator<Item = u32>, values: Vec<T>) -> Self {
        let counts = counts.into_iter();
        let mut offsets = Vec::with_capacity(counts.size_hint().0 + 1);
        let mut at = 0u32;
        offsets.push(at);
        for k in counts {
            at = at.checked_add(k).expect("a Csr holds fewer than 2^32 values");
            offsets.push(at);
        }
        assert_eq!(at as usize, values.len(), "the row counts must add up to the number of values");
        Csr { offsets, values }
    }

    /// `rows` rows from `(row, value)` pairs: the values of each row in the
    /// order the pairs come (a stable counting sort). The pairs are iterated
    /// twice (once to count), so the iterator should be cheap to run.
    ///
    /// # Panics
    /// When a row is `>= rows`, or there are 2³² pairs or more.
    pub fn from_pairs<I>(rows: usize, pairs: I) -> Self
    where
        T: Copy,
        I: IntoIterator<Item = (usize, T)>,
        I::IntoIter: Clone,
    {
        let pairs = pairs.into_iter();
        let mut offsets = vec![0u32; rows + 1];
        let mut total = 0usize;
        for (k, _) in pairs.clone() {
            // Out of bounds (a panic) when `k >= rows`.
            offsets[k + 1] += 1;
            total += 1;
        }
        // No count or sum below overflows when the total fits.
        offset(total);
        for i in 0..rows {
            offsets[i + 1] += offsets[i];
        }
        let Some((_, first)) = pairs.clone().next() else { return Csr { offsets, values: Vec::new() } };
        // Every slot is written below; `first` only fills them meanwhile.
        let mut values = vec![first; total];
        let mut next = offsets[..rows].to_vec();
        for (k, v) in pairs {
            values[next[k] as usize] = v;
            next[k] += 1;
        }
        Csr { offsets, values }
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The number of values in all rows.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no values (there may be rows, all empty).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values of row `i`.
    ///
    /// # Panics
    /// When `i >= rows()`.
    #[inline]
    pub fn row(&self, i: usize) -> &[T] {
        &self.values[self.range(i)]
    }

    /// The values of row `i`, to change in place (for example to sort them).
    ///
    /// # Panics
    /// When `i >= rows()`.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> &mut [T] {
        let r = self.range(i);
        &mut self.values[r]
    }

    /// Runs `f` on every row, to change it in place (for example to sort
    /// it), the rows in parallel (rayon).
    pub fn par_rows_mut(&mut self, f: impl Fn(&mut [T]) + Send + Sync)
    where
        T: Send,
    {
        use rayon::prelude::*;
        let mut rows: Vec<&mut [T]> = Vec::with_capacity(self.rows());
        let mut rest = self.values.as_mut_slice();
        for w in self.offsets.windows(2) {
            let (row, tail) = rest.split_at_mut((w[1] - w[0]) as usize);
            rows.push(row);
            rest = tail;
        }
        rows.into_par_iter().with_min_len(256).for_each(f);
    }

    /// The positions of row `i` in [`Csr::values`].
    ///
    /// # Panics
    /// When `i >= rows()`.
    #[inline]
    pub fn range(&self, i: usize) -> Range<usize> {
        self.offsets[i] as usize..self.offsets[i + 1] as usize
    }

    /// Every value, row after row.
    pub fn values(&self) -> &[T] {
        &self.values
    }

    /// The offsets: row `i` is `values()[offsets()[i]..offsets()[i + 1]]`.
    pub fn offsets(&self) -> &[u32] {
        &self.offsets
    }

    /// The rows in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[T]> + '_ {
        self.offsets.windows(2).map(|w| &self.values[w[0] as usize..w[1] as usize])
    }
}

/// Builds a [`Csr`] row by row: values are pushed into the current row,
/// which [`CsrBuilder::end_row`] closes.
///
/// ```
/// use dualmatch_core::csr::CsrBuilder;
///
/// let mut b = CsrBuilder::new();
/// b.push(3);
/// b.push(1);
/// b.current_mut().sort();
/// b.end_row();
/// b.push_row([7]);
/// let csr = b.finish();
/// assert_eq!(csr.row(0), &[1, 3]);
/// assert_eq!(csr.row(1), &[7]);
/// ```
#[derive(Clone, Debug)]
pub struct CsrBuilder<T> {
    offsets: Vec<u32>,
    values: Vec<T>,
}

impl<T> Default for CsrBuilder<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> CsrBuilder<T> {
    /// A builder with no rows.
    pub fn new() -> Self {
        CsrBuilder { offsets: vec![0], values: Vec::new() }
    }

    /// A builder with room for `rows` rows and `values` values.
    pub fn with_capacity(rows: usize, values: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        CsrBuilder { offsets, values: Vec::with_capacity(values) }
    }

    /// Where the current row starts in the values.
    fn current_start(&self) -> usize {
        *self.offsets.last().expect("offsets start with 0") as usize
    }

    /// Appends `v` to the current row.
    pub fn push(&mut self, v: T) {
        self.values.push(v);
    }

    /// The values of the current row so far.
    pub fn current(&self) -> &[T] {
        &self.values[self.current_start()..]
    }

    /// The values of the current row so far, to change in place.
    pub fn current_mut(&mut self) -> &mut [T] {
        let start = self.current_start();
        &mut self.values[start..]
    }

    /// Closes the current row (it may be empty) and starts the next one.
    ///
    /// # Panics
    /// When there are 2³² values or more.
    pub fn end_row(&mut self) {
        self.offsets.push(offset(self.values.len()));
    }

    /// Appends the values of `row` to the current row and closes it.
    pub fn push_row(&mut self, row: impl IntoIterator<Item = T>) {
        self.values.extend(row);
        self.end_row();
    }

    /// The number of values pushed so far.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no value was pushed yet.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The closed rows.
    ///
    /// # Panics
    /// When values were pushed after the last [`CsrBuilder::end_row`].
    pub fn finish(self) -> Csr<T> {
        assert_eq!(self.current_start(), self.values.len(), "close the last row with end_row before finish");
        Csr { offsets: self.offsets, values: self.values }
    }
}

impl<T> Extend<T> for CsrBuilder<T> {
    /// Appends the values to the current row.
    fn extend<I: IntoIterator<Item = T>>(&mut self, values: I) {
        self.values.extend(values);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The plain reference: one `Vec` per row.
    fn reference(rows: usize, pairs: &[(usize, u16)]) -> Vec<Vec<u16>> {
        let mut out = vec![Vec::new(); rows];
        for &(k, v) in pairs {
            out[k].push(v);
        }
        out
    }

    fn rows_of(c: &Csr<u16>) -> Vec<Vec<u16>> {
        (0..c.rows()).map(|i| c.row(i).to_vec()).collect()
    }

    proptest! {
        /// Every way of building gives the rows of the `Vec<Vec<T>>`
        /// reference, and the accessors agree with each other.
        #[test]
        fn matches_a_vec_of_vecs(rows in 0usize..12, raw in prop::collection::vec((0usize..12, any::<u16>()), 0..60)) {
            let pairs: Vec<(usize, u16)> = raw.into_iter().filter(|p| p.0 < rows).collect();
            let want = reference(rows, &pairs);

            let c = Csr::from_pairs(rows, pairs.iter().copied());
            prop_assert_eq!(rows_of(&c), want.clone());
            prop_assert_eq!(c.rows(), rows);
            prop_assert_eq!(c.len(), pairs.len());
            prop_assert_eq!(c.is_empty(), pairs.is_empty());
            prop_assert_eq!(c.iter().map(<[u16]>::to_vec).collect::<Vec<_>>(), want.clone());
            prop_assert_eq!(c.values().to_vec(), want.concat());
            for i in 0..rows {
                prop_assert_eq!(&c.values()[c.range(i)], c.row(i));
                prop_assert_eq!(c.offsets()[i] as usize, c.range(i).start);
            }

            let counts = want.iter().map(|r| r.len() as u32);
            prop_assert_eq!(&Csr::from_counts(counts, want.concat()), &c);

            let mut b = CsrBuilder::with_capacity(rows, pairs.len());
            for (i, r) in want.iter().enumerate() {
                if i % 3 == 0 {
                    r.iter().for_each(|&v| b.push(v));
                    prop_assert_eq!(b.current_mut().len(), r.len());
                    b.end_row();
                } else if i % 3 == 1 {
                    b.extend(r.iter().copied());
                    prop_assert_eq!(b.current(), r.as_slice());
                    b.end_row();
                } else {
                    b.push_row(r.iter().copied());
                }
            }
            prop_assert_eq!(b.len(), pairs.len());
            prop_assert_eq!(&b.finish(), &c);
        }

        /// `par_rows_mut` changes every row as `row_mut` on each does.
        #[test]
        fn par_rows_mut_is_row_mut_on_each_row(rows in 1usize..600, raw in prop::collection::vec((0usize..600, any::<u16>()), 0..2000)) {
            let pairs: Vec<(usize, u16)> = raw.into_iter().filter(|p| p.0 < rows).collect();
            let mut want = Csr::from_pairs(rows, pairs.iter().copied());
            for i in 0..rows {
                want.row_mut(i).sort_unstable_by(|a, b| b.cmp(a));
            }
            let mut c = Csr::from_pairs(rows, pairs.iter().copied());
            c.par_rows_mut(|row| row.sort_unstable_by(|a, b| b.cmp(a)));
            prop_assert_eq!(c, want);
        }

        /// `row_mut` changes exactly that row.
        #[test]
        fn row_mut_sorts_one_row(rows in 1usize..8, raw in prop::collection::vec((0usize..8, any::<u16>()), 0..40), pick in 0usize..8) {
            let pairs: Vec<(usize, u16)> = raw.into_iter().filter(|p| p.0 < rows).collect();
            let mut want = reference(rows, &pairs);
            let i = pick % rows;
            want[i].sort_unstable();
            let mut c = Csr::from_pairs(rows, pairs.iter().copied());
            c.row_mut(i).sort_unstable();
            prop_assert_eq!(rows_of(&c), want);
        }
    }

    #[test]
    fn empty_and_default() {
        let c: Csr<u8> = Csr::empty(3);
        assert_eq!(c.rows(), 3);
        assert!(c.is_empty() && c.row(2).is_empty());
        let d: Csr<u8> = Csr::default();
        assert_eq!((d.rows(), d.len()), (0, 0));
        assert_eq!(Csr::<u8>::from_pairs(2, []), Csr::empty(2));
        assert_eq!(CsrBuilder::<u8>::new().finish(), d);
    }

    #[test]
    #[should_panic(expected = "index out of bounds")]
    fn a_row_out_of_range_panics() {
        let _ = Csr::from_pairs(3, [(3, 1u8)]);
    }

    #[test]
    #[should_panic(expected = "add up")]
    fn counts_must_add_up() {
        let _ = Csr::from_counts([1, 1], vec![1u8]);
    }

    #[test]
    #[should_panic(expected = "end_row")]
    fn an_open_row_is_not_lost() {
        let mut b = CsrBuilder::new();
        b.push(1u8);
        let _ = b.finish();
    }
}
