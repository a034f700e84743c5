//! Loading the digits a VAE job trains on and shows, and shuffling them.

use super::super::data::{self, Digits};
use super::{DataSource, SCATTER_POINTS};
use crate::job::JobError;

pub(super) fn load(source: DataSource) -> Result<(Digits, Digits), JobError> {
    let fail = |e: data::DataError| JobError::Failed(anyhow::anyhow!(e));
    Ok(match source {
        DataSource::Mnist { asset_dir, limit } => {
            let (mut train, test) = data::load_mnist(&asset_dir).map_err(fail)?;
            train.extend(test.clone());
            if let Some(limit) = limit {
                train = train.take(limit);
            }
            (train, test.take(SCATTER_POINTS))
        }
        DataSource::IdxPair { images, labels } => {
            split(data::load_idx_pair(&images, &labels).map_err(fail)?)
        }
        DataSource::Folder(dir) => split(data::load_image_folder(&dir).map_err(fail)?),
        DataSource::Digits(digits) => split(digits),
    })
}

/// Trains on everything (as the book); the map shows the first digits.
fn split(digits: Digits) -> (Digits, Digits) {
    let shown = digits.take(SCATTER_POINTS);
    (digits, shown)
}

/// A small deterministic generator for shuffling (SplitMix64).
pub(super) struct Shuffler(pub(super) u64);

impl Shuffler {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(super) fn shuffle(&mut self, items: &mut [usize]) {
        for i in (1..items.len()).rev() {
            let j = usize::try_from(self.next() % (i as u64 + 1)).unwrap_or(0);
            items.swap(i, j);
        }
    }
}
