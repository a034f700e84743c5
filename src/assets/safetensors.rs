//! A minimal safetensors writer and reader (f32 and u8 only): an 8-byte
//! little-endian header length, a JSON header, then the raw tensor bytes.

use std::collections::BTreeMap;
use std::path::Path;

use crate::torch::{NamedTensor, TensorData};

#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: [usize; 2],
}

/// Writes tensors to `path` (atomically: a temporary file, then a rename).
pub fn write(path: &Path, tensors: &[NamedTensor]) -> std::io::Result<()> {
    let mut header = BTreeMap::new();
    let mut body = Vec::new();
    for tensor in tensors {
        let start = body.len();
        let dtype = match &tensor.data {
            TensorData::F32(values) => {
                body.extend(values.iter().flat_map(|v| v.to_le_bytes()));
                "F32"
            }
            TensorData::U8(values) => {
                body.extend_from_slice(values);
                "U8"
            }
        };
        header.insert(
            tensor.name.clone(),
            Entry {
                dtype: dtype.into(),
                shape: tensor.shape.clone(),
                data_offsets: [start, body.len()],
            },
        );
    }
    let mut json = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
    while json.len() % 8 != 0 {
        json.push(b' ');
    }
    let mut bytes = Vec::with_capacity(8 + json.len() + body.len());
    bytes.extend((json.len() as u64).to_le_bytes());
    bytes.extend(json);
    bytes.extend(body);
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes)?;
    std::fs::rename(partial, path)
}

/// Reads every tensor of a safetensors file, sorted by name.
pub fn read(path: &Path) -> std::io::Result<Vec<NamedTensor>> {
    let bytes = std::fs::read(path)?;
    let invalid = |what: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {what}", path.display()),
        )
    };
    let len_bytes: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| invalid("too short"))?;
    let header_len =
        usize::try_from(u64::from_le_bytes(len_bytes)).map_err(|_| invalid("header too large"))?;
    let header_end = 8usize
        .checked_add(header_len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| invalid("header"))?;
    let header: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..header_end]).map_err(|e| invalid(&e.to_string()))?;
    let body = &bytes[header_end..];
    let mut tensors = Vec::new();
    for (name, value) in header {
        if name == "__metadata__" {
            continue;
        }
        let entry: Entry = serde_json::from_value(value).map_err(|e| invalid(&e.to_string()))?;
        let [start, end] = entry.data_offsets;
        let raw = body
            .get(start..end)
            .ok_or_else(|| invalid("tensor outside the file"))?;
        let data = match entry.dtype.as_str() {
            "F32" => TensorData::F32(
                raw.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
            "U8" => TensorData::U8(raw.to_vec()),
            other => return Err(invalid(&format!("dtype {other} is not supported"))),
        };
        if data.len() != entry.shape.iter().product::<usize>() {
            return Err(invalid(&format!("{name}: size does not match its shape")));
        }
        tensors.push(NamedTensor {
            name,
            shape: entry.shape,
            data,
        });
    }
    Ok(tensors)
}
