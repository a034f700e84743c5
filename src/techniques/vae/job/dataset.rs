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
        DataSource::Split {
            train, validation, ..
        } => (train, validation),
    })
}

/// Trains on everything (as the book); the map shows the first digits.
fn split(digits: Digits) -> (Digits, Digits) {
    let shown = digits.take(SCATTER_POINTS);
    (digits, shown)
}
