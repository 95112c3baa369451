//! Integers per arc, 4 bytes each when they all fit an `i32`, else 8: the
//! simplex's real arc costs and the advice's arc weights and transposed
//! costs. Half the memory (and memory first touched costs more than reading
//! it on this project's machines, issue 16), and half the bandwidth when a
//! loop reads them.

/// Integers, narrow when every one fits an `i32`.
pub(crate) enum Ints {
    /// Some value does not fit an `i32`.
    Wide(Vec<i64>),
    /// Every value fits an `i32`. (The advice also keeps `i32::MIN` out, so
    /// that the negation of each fits too.)
    Narrow(Vec<i32>),
}

impl Ints {
    /// The value at `i`.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> i64 {
        match self {
            Ints::Wide(v) => v[i],
            Ints::Narrow(v) => v[i].into(),
        }
    }

    /// The number of values.
    pub(crate) fn len(&self) -> usize {
        match self {
            Ints::Wide(v) => v.len(),
            Ints::Narrow(v) => v.len(),
        }
    }
}
