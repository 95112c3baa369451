//! Vectors filled in parallel straight into their memory.
//!
//! On this project's machines memory touched for the first time costs far
//! more than writing it (the kernel clears each page as it is first written;
//! issue 16). `vec![0; n]` followed by a parallel fill pays for that twice
//! when the allocator hands back memory it used before: it clears the whole
//! vector on one core first, and the clearing is where the pages are first
//! touched. [`par_vec`] writes every entry once, from every core.

use std::mem::MaybeUninit;

use rayon::prelude::*;

/// Entries a worker writes at a time.
pub(crate) const CHUNK: usize = 1 << 16;

/// A vector of `n` entries: entry `i` is `f(&mut state, i)`, written in
/// chunks of `chunk` entries in parallel, each chunk in increasing order of
/// `i` from its own `state = init(first index of the chunk)`. The entries are
/// what a sequential loop gives whatever the number of threads, as long as
/// `f`'s value for `i` does not depend on which entries came before it in the
/// chunk (a state that only caches a search, as a walk to the learner of an
/// arc does, is fine).
pub(crate) fn par_vec<T: Send, S>(
    n: usize,
    chunk: usize,
    init: impl Fn(usize) -> S + Sync,
    f: impl Fn(&mut S, usize) -> T + Sync,
) -> Vec<T> {
    let chunk = chunk.max(1);
    let mut out: Vec<T> = Vec::with_capacity(n);
    let spare: &mut [MaybeUninit<T>] = &mut out.spare_capacity_mut()[..n];
    spare.par_chunks_mut(chunk).enumerate().for_each(|(c, part)| {
        let first = c * chunk;
        let mut state = init(first);
        for (i, x) in part.iter_mut().enumerate() {
            x.write(f(&mut state, first + i));
        }
    });
    // SAFETY: the first `n` entries of the capacity were each written above
    // (the chunks cover `0..n`, and every entry of a chunk is written); a
    // panic in `f` leaves the loop before this line, and the vector is then
    // dropped with length 0 (its entries leaked, never read).
    unsafe { out.set_len(n) };
    out
}

/// `n` copies of `value`, written by every core a chunk at a time (see
/// [`par_vec`]).
pub(crate) fn par_fill<T: Copy + Send + Sync>(n: usize, value: T) -> Vec<T> {
    par_vec(n, CHUNK, |_| (), |_, _| value)
}

#[cfg(test)]
mod tests {
    use super::par_vec;
    use proptest::prelude::*;

    proptest! {
        /// Every entry is written, by its own index, whatever the chunk
        /// size, with the chunk's state starting at the chunk's first index.
        #[test]
        fn entries_are_the_sequential_ones(n in 0usize..5000, chunk in 0usize..700) {
            let v = par_vec(n, chunk, |first| first, |start, i| (*start, i * 3 + 1));
            prop_assert_eq!(v.len(), n);
            let chunk = chunk.max(1);
            for (i, &(start, x)) in v.iter().enumerate() {
                prop_assert_eq!(x, i * 3 + 1);
                prop_assert_eq!(start, i / chunk * chunk);
            }
        }
    }

    /// Entries that own memory are all there (a vector of strings).
    #[test]
    fn owned_entries() {
        let v = par_vec(1000, 7, |_| (), |_, i| i.to_string());
        assert_eq!(v, (0..1000).map(|i| i.to_string()).collect::<Vec<_>>());
    }
}
