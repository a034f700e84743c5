//! The legacy `torch.save` stream: five pickles (magic number, protocol version,
//! system info, the object, the storage keys) followed by each storage's bytes,
//! every one prefixed by its element count as a little-endian u64.

use std::collections::HashMap;

use super::pickle::{self, Policy, Value};
use super::{NamedTensor, TorchError, materialize};

/// The number `torch.save` writes first in a legacy file.
const MAGIC: i128 = 0x1950_a86a_20f9_469c_fc6c;
const PROTOCOL_VERSION: i128 = 1001;

/// Reads every tensor of a legacy `torch.save` file holding a dict of tensors.
pub fn read_legacy(bytes: &[u8]) -> Result<Vec<NamedTensor>, TorchError> {
    let policy = Policy {
        script_classes: false,
    };
    let mut pos = 0;
    if pickle::read(bytes, &mut pos, policy)? != Value::Int(MAGIC) {
        return Err(TorchError::Format(
            "not a legacy torch.save file (magic number)".into(),
        ));
    }
    if pickle::read(bytes, &mut pos, policy)? != Value::Int(PROTOCOL_VERSION) {
        return Err(TorchError::Format(
            "unsupported torch.save protocol version".into(),
        ));
    }
    check_little_endian(&pickle::read(bytes, &mut pos, policy)?)?;
    let Value::Dict(entries) = pickle::read(bytes, &mut pos, policy)? else {
        return Err(TorchError::Format(
            "the saved object is not a dict of tensors".into(),
        ));
    };
    let Value::List(keys) = pickle::read(bytes, &mut pos, policy)? else {
        return Err(TorchError::Format("storage key list missing".into()));
    };
    // Each storage's element size is known only from the tensors that view it.
    let types: HashMap<&str, usize> = entries
        .iter()
        .filter_map(|(_, v)| match v {
            Value::Tensor(t) => Some((
                t.storage.key.as_str(),
                t.storage.storage_type.element_size(),
            )),
            _ => None,
        })
        .collect();
    let mut offsets = HashMap::new();
    for key in keys {
        let Value::Str(key) = key else {
            return Err(TorchError::Format("storage key is not a string".into()));
        };
        let element_size = *types
            .get(key.as_str())
            .ok_or_else(|| TorchError::Format(format!("storage {key} is used by no tensor")))?;
        let count = read_count(bytes, pos)
            .ok_or_else(|| TorchError::Format(format!("storage {key} missing")))?;
        let start = pos + 8;
        let end = count
            .checked_mul(element_size)
            .and_then(|len| start.checked_add(len))
            .filter(|&end| end <= bytes.len())
            .ok_or_else(|| TorchError::Format(format!("storage {key} is truncated")))?;
        offsets.insert(key, (start, end));
        pos = end;
    }
    let mut tensors = Vec::with_capacity(entries.len());
    for (name, value) in entries {
        let (Value::Str(name), Value::Tensor(tensor)) = (name, value) else {
            return Err(TorchError::Format(
                "dict entry is not a named tensor".into(),
            ));
        };
        let (start, end) = offsets.get(&tensor.storage.key).copied().ok_or_else(|| {
            TorchError::Format(format!("{name}: storage {} missing", tensor.storage.key))
        })?;
        tensors.push(materialize(name, &tensor, &bytes[start..end])?);
    }
    Ok(tensors)
}

fn read_count(bytes: &[u8], pos: usize) -> Option<usize> {
    let raw: [u8; 8] = bytes.get(pos..pos.checked_add(8)?)?.try_into().ok()?;
    usize::try_from(u64::from_le_bytes(raw)).ok()
}

fn check_little_endian(sys_info: &Value) -> Result<(), TorchError> {
    let Value::Dict(entries) = sys_info else {
        return Err(TorchError::Format("system info missing".into()));
    };
    let little = entries
        .iter()
        .any(|(k, v)| *k == Value::Str("little_endian".into()) && *v == Value::Bool(true));
    if little {
        Ok(())
    } else {
        Err(TorchError::Format(
            "big-endian torch files are not supported".into(),
        ))
    }
}
