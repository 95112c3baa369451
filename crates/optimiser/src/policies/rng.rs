//! A tiny deterministic PRNG for lotteries: SplitMix64 (Steele, Lea and
//! Flood, 2014; the seeding generator of xoshiro). Each seed gives one fixed
//! stream on every platform and thread count; it is not cryptographic.

/// SplitMix64: a 64-bit state advanced by the golden-ratio increment and
/// mixed by two xor-shift-multiply rounds.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// A generator for an independent stream of `seed`, named by `stream`
    /// (used so that, e.g., the learner and workplace lotteries of one seed
    /// do not share numbers).
    pub fn stream(seed: u64, stream: u64) -> Self {
        let mut g = SplitMix64::new(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        g.next_u64();
        g
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..n` (`n > 0`), by Lemire's multiply-shift with
    /// rejection, so without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            let low = m as u64;
            if low >= n.wrapping_neg() % n {
                return (m >> 64) as u64;
            }
        }
    }

    /// A uniformly random permutation of `0..n` (Fisher–Yates).
    pub fn permutation(&mut self, n: usize) -> Vec<u32> {
        let mut p: Vec<u32> = (0..n as u32).collect();
        for i in (1..n).rev() {
            let j = self.below(i as u64 + 1) as usize;
            p.swap(i, j);
        }
        p
    }

    /// A lottery over `n` items: `ticket[i]` is item `i`'s position in a
    /// uniformly random order (lower draws first).
    pub fn lottery(&mut self, n: usize) -> Vec<u32> {
        let order = self.permutation(n);
        let mut ticket = vec![0u32; n];
        for (pos, &i) in order.iter().enumerate() {
            ticket[i as usize] = pos as u32;
        }
        ticket
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // First outputs for seed 0 from the reference implementation.
        let mut g = SplitMix64::new(0);
        assert_eq!(g.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(g.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn permutation_is_a_permutation_and_deterministic() {
        let p = SplitMix64::new(7).permutation(100);
        let mut s = p.clone();
        s.sort_unstable();
        assert_eq!(s, (0..100).collect::<Vec<u32>>());
        assert_eq!(p, SplitMix64::new(7).permutation(100));
        assert_ne!(p, SplitMix64::new(8).permutation(100));
    }

    #[test]
    fn below_is_in_range() {
        let mut g = SplitMix64::new(1);
        for n in 1..50u64 {
            assert!(g.below(n) < n);
        }
    }
}
