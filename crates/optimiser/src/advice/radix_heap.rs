//! A monotone radix heap, the priority queue of the shortest-path trees.

/// A radix heap of (key, node) for Dijkstra: keys are at least the last key
/// popped (monotone), and an entry sits in the bucket of the highest bit in
/// which its key differs from that key, so a push is O(1) and each entry is
/// moved at most 64 times. Equal keys pop in a fixed order (the order of the
/// operations), so a tree grown twice is the same.
pub(super) struct RadixHeap {
    last: u64,
    len: usize,
    buckets: [Vec<(u64, u32)>; 65],
}

impl Default for RadixHeap {
    fn default() -> Self {
        RadixHeap { last: 0, len: 0, buckets: std::array::from_fn(|_| Vec::new()) }
    }
}

impl RadixHeap {
    fn bucket(&self, key: u64) -> usize {
        (64 - (key ^ self.last).leading_zeros()) as usize
    }

    pub(super) fn clear(&mut self) {
        for b in &mut self.buckets {
            b.clear();
        }
        self.last = 0;
        self.len = 0;
    }

    pub(super) fn push(&mut self, key: i64, v: u32) {
        debug_assert!(key >= 0 && key as u64 >= self.last, "radix heap keys are monotone");
        let k = key as u64;
        let b = self.bucket(k);
        self.buckets[b].push((k, v));
        self.len += 1;
    }

    pub(super) fn pop(&mut self) -> Option<(i64, u32)> {
        if self.len == 0 {
            return None;
        }
        if self.buckets[0].is_empty() {
            let i = (1..65).find(|&i| !self.buckets[i].is_empty()).expect("an entry");
            let moved = std::mem::take(&mut self.buckets[i]);
            self.last = moved.iter().map(|e| e.0).min().expect("an entry");
            for &(k, v) in &moved {
                let b = self.bucket(k);
                self.buckets[b].push((k, v));
            }
            // Keep the allocation.
            let mut moved = moved;
            moved.clear();
            if self.buckets[i].is_empty() {
                self.buckets[i] = moved;
            }
        }
        self.len -= 1;
        self.buckets[0].pop().map(|(k, v)| (k as i64, v))
    }
}
