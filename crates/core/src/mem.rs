//! Memory that is ready to write.
//!
//! The first write to a fresh page of memory stops the thread while the
//! kernel clears the page. On this project's 2-core machine that costs about
//! as much per byte as parsing a CSV file, so a sequential phase that fills
//! a large new array (building a season from millions of candidate pairs)
//! spends much of its time waiting for it. [`with_touched_capacity`] has the
//! pages cleared by all threads at once, before the sequential writes.

use rayon::prelude::*;

/// Arrays smaller than this many bytes are left to fault in as they are
/// written (not worth a parallel pass).
const TOUCH_MIN_BYTES: usize = 4 << 20;

/// Bytes between two writes that fault pages in: the smallest page size.
const PAGE_BYTES: usize = 4096;

/// An empty vector with room for `n` values whose memory has already been
/// written once (with `fill`, one value per page) by the thread pool, so that
/// pushing `n` values faults no fresh page.
pub(crate) fn with_touched_capacity<T: Copy + Send + Sync>(n: usize, fill: T) -> Vec<T> {
    let mut v = Vec::with_capacity(n);
    let size = std::mem::size_of::<T>().max(1);
    if n.saturating_mul(size) >= TOUCH_MIN_BYTES {
        let step = (PAGE_BYTES / size).max(1);
        v.spare_capacity_mut().par_chunks_mut(step * 256).for_each(|chunk| {
            for slot in chunk.iter_mut().step_by(step) {
                slot.write(fill);
            }
        });
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touched_vectors_are_empty_with_the_room_asked_for() {
        for n in [0, 1, 1000, (TOUCH_MIN_BYTES / 8) + 3] {
            let mut v = with_touched_capacity(n, 7u64);
            assert!(v.is_empty());
            assert!(v.capacity() >= n);
            let before = v.as_ptr();
            v.extend(0..n as u64);
            assert_eq!(v.as_ptr(), before, "pushing {n} values reallocated");
            assert_eq!(v.iter().sum::<u64>(), (0..n as u64).sum::<u64>());
        }
    }

    /// Page faults of this thread so far (Linux: `/proc/thread-self/stat`).
    #[cfg(target_os = "linux")]
    fn minor_faults() -> u64 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("thread stat");
        // After the command name in parentheses: state is field 3, minflt field 10.
        let rest = &stat[stat.rfind(')').expect("command name") + 2..];
        rest.split(' ').nth(7).expect("minflt").parse().expect("a count")
    }

    /// Writing into touched room faults (almost) no page on the writing
    /// thread; writing into plain fresh room does.
    #[cfg(target_os = "linux")]
    #[test]
    fn writes_into_touched_room_do_not_fault() {
        let n = 8 << 20; // 64 MiB of u64
        let faults_of = |mut v: Vec<u64>| {
            let before = minor_faults();
            v.extend(0..n as u64);
            let faults = minor_faults() - before;
            assert_eq!(v[n - 1], n as u64 - 1);
            faults
        };
        let plain = faults_of(Vec::with_capacity(n));
        let touched = faults_of(with_touched_capacity(n, 0));
        assert!(plain >= 16, "plain room faulted {plain} times");
        assert!(touched * 4 <= plain, "touched room faulted {touched} times, plain room {plain}");
    }
}
