//! The studio's one seeded random generator (SplitMix64), for everything that
//! must repeat from a seed whatever the backend: shuffling training data,
//! sampling tokens, DeepDream's tile jitter, style transfer's noise start.
//! Tensors drawn on a device use burn's own generator instead.

/// SplitMix64: one `u64` of state, every output from a multiply-xorshift mix.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

/// The device seed of one training step: a step's draws on the device
/// (latents, label noise, dropout, the VAE's sampling) follow from the run's
/// seed, the epoch and the step, whatever was drawn before — so a resumed run
/// draws what the straight run drew.
pub fn step_seed(seed: u64, epoch: usize, step: usize) -> u64 {
    let mut rng = Rng(seed ^ ((epoch as u64) << 32) ^ step as u64);
    rng.next_u64()
}

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f32 {
        #[expect(clippy::cast_precision_loss, reason = "24 random bits")]
        let value = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
        value
    }

    /// Uniform in `0..n` (`n` > 0; the modulo's bias is below 2⁻⁴⁰ for the
    /// sizes used here).
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next_u64() % n.max(1) as u64).unwrap_or(0)
    }

    /// A random byte.
    pub fn byte(&mut self) -> u8 {
        self.next_u64().to_be_bytes()[0]
    }

    /// Fisher–Yates, so that an epoch's order repeats from the seed.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn the_same_seed_repeats_and_shuffles_are_permutations() {
        let (mut a, mut b) = (Rng(7), Rng(7));
        assert!((0..100).all(|_| a.next_u64() == b.next_u64()));
        let mut items: Vec<usize> = (0..50).collect();
        Rng(3).shuffle(&mut items);
        assert_ne!(items, (0..50).collect::<Vec<_>>());
        items.sort_unstable();
        assert_eq!(items, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn uniform_and_below_stay_in_range() {
        let mut rng = Rng(1);
        for _ in 0..10_000 {
            let u = rng.uniform();
            assert!((0.0..1.0).contains(&u));
            assert!(rng.below(7) < 7);
        }
    }
}
