//! The TorchScript zip archive: `<root>/data.pkl` holds the module tree, whose
//! tensors point (by persistent id) at raw storages in `<root>/data/<key>`.
//! Modules become plain attribute bags; their tensors are named by the path of
//! attributes that leads to them, e.g. `net.layers.conv.weight`.

use std::io::{Read, Seek};

use super::pickle::{self, Policy, Value};
use super::{NamedTensor, TorchError, materialize};

/// The stride and padding a TorchScript convolution module stores as plain
/// attributes (not tensors), e.g. for `net.layers.mixed_4.tower.conv_1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvLayout {
    /// Attribute path of the module.
    pub path: String,
    pub stride: usize,
    /// (rows, columns).
    pub padding: [usize; 2],
}

/// Reads every tensor reachable from the root module of a TorchScript archive.
pub fn read_torchscript(archive: impl Read + Seek) -> Result<Vec<NamedTensor>, TorchError> {
    let mut zip = zip::ZipArchive::new(archive)?;
    let (root, module) = read_module(&mut zip)?;
    let mut found = Vec::new();
    collect_tensors(&module, "", &mut found);
    let mut tensors = Vec::with_capacity(found.len());
    for (name, tensor) in found {
        let member = format!("{root}data/{}", tensor.storage.key);
        let bytes = read_member(&mut zip, &member)?;
        if bytes.len() != tensor.storage.numel * tensor.storage.storage_type.element_size() {
            return Err(TorchError::Format(format!("{member} has the wrong size")));
        }
        tensors.push(materialize(name, tensor, &bytes)?);
    }
    Ok(tensors)
}

/// The stride and padding of every module that has a `weight` tensor and
/// integer `stride` and `padding` attributes, in file order.
pub fn read_conv_layouts(archive: impl Read + Seek) -> Result<Vec<ConvLayout>, TorchError> {
    let mut zip = zip::ZipArchive::new(archive)?;
    let (_, module) = read_module(&mut zip)?;
    let mut out = Vec::new();
    collect_layouts(&module, "", &mut out)?;
    Ok(out)
}

/// The archive's root folder and its unpickled module tree.
fn read_module<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
) -> Result<(String, Value), TorchError> {
    let pickle_name = zip
        .file_names()
        .find(|name| name.ends_with("/data.pkl") && name.matches('/').count() == 1)
        .map(str::to_owned)
        .ok_or_else(|| TorchError::Format("no <root>/data.pkl in the archive".into()))?;
    let root = pickle_name.trim_end_matches("data.pkl").to_owned();
    let pickle_bytes = read_member(zip, &pickle_name)?;
    let mut pos = 0;
    let module = pickle::read(
        &pickle_bytes,
        &mut pos,
        Policy {
            script_classes: true,
        },
    )?;
    Ok((root, module))
}

fn collect_layouts(value: &Value, path: &str, out: &mut Vec<ConvLayout>) -> Result<(), TorchError> {
    let Value::Object { attrs, .. } = value else {
        return Ok(());
    };
    let attr = |name: &str| attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let int = |v: &Value| match v {
        Value::Int(i) => usize::try_from(*i).ok(),
        _ => None,
    };
    if let (Some(Value::Tensor(_)), Some(stride), Some(padding)) =
        (attr("weight"), attr("stride"), attr("padding"))
    {
        let bad = || TorchError::Format(format!("{path}: unexpected stride or padding"));
        let stride = int(stride).ok_or_else(bad)?;
        let padding = match padding {
            Value::Int(_) => {
                let p = int(padding).ok_or_else(bad)?;
                [p, p]
            }
            Value::List(items) | Value::Tuple(items) => match items.as_slice() {
                [a, b] => [int(a).ok_or_else(bad)?, int(b).ok_or_else(bad)?],
                _ => return Err(bad()),
            },
            _ => return Err(bad()),
        };
        out.push(ConvLayout {
            path: path.to_owned(),
            stride,
            padding,
        });
    }
    for (name, child) in attrs {
        let child_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        collect_layouts(child, &child_path, out)?;
    }
    Ok(())
}

fn read_member<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
) -> Result<Vec<u8>, TorchError> {
    let mut file = zip.by_name(name)?;
    let mut bytes = Vec::with_capacity(usize::try_from(file.size()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Walks module attributes depth-first in file order.
fn collect_tensors<'a>(
    value: &'a Value,
    path: &str,
    out: &mut Vec<(String, &'a pickle::TensorRef)>,
) {
    match value {
        Value::Tensor(tensor) => out.push((path.to_owned(), tensor)),
        Value::Object { attrs, .. } => {
            for (name, attr) in attrs {
                let child = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                collect_tensors(attr, &child, out);
            }
        }
        _ => {}
    }
}
