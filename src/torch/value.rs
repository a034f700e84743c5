//! The values a pickle can build here: plain Python data, the allowed GLOBALs,
//! storages named by persistent ids, tensor views, and TorchScript objects as
//! attribute bags; plus the constructors `REDUCE` may call (and no others).

use super::TorchError;
use super::pickle::bad;

/// Element type of a torch storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageType {
    /// `torch.FloatStorage`: little-endian f32.
    Float,
    /// `torch.ByteStorage`: u8.
    Byte,
}

impl StorageType {
    /// Size of one element in bytes.
    pub fn element_size(self) -> usize {
        match self {
            Self::Float => 4,
            Self::Byte => 1,
        }
    }
}

/// A storage named by a persistent id; its bytes live outside the pickle.
#[derive(Clone, Debug, PartialEq)]
pub struct StorageRef {
    pub storage_type: StorageType,
    pub key: String,
    pub numel: usize,
}

/// A tensor view into a storage, as `torch._utils._rebuild_tensor_v2` describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorRef {
    pub storage: StorageRef,
    pub offset: usize,
    pub shape: Vec<usize>,
    pub stride: Vec<usize>,
}

/// The callables a pickle may name. Only these are accepted by `GLOBAL`.
#[derive(Clone, Debug, PartialEq)]
pub enum Global {
    RebuildTensorV2,
    Storage(StorageType),
    OrderedDict,
    BuildIntList,
    /// A TorchScript module class (`__torch__.*`), rebuilt as a plain attribute bag.
    ScriptClass(String),
}

/// A value on the unpickler's stack.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Tuple(Vec<Value>),
    List(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    Global(Global),
    /// A TorchScript module object: its class and attributes in file order.
    Object {
        class: String,
        attrs: Vec<(String, Value)>,
    },
    Storage(StorageRef),
    Tensor(TensorRef),
}

impl Value {
    fn as_usize(&self) -> Option<usize> {
        match self {
            Self::Int(i) => usize::try_from(*i).ok(),
            _ => None,
        }
    }

    fn as_usize_list(&self) -> Option<Vec<usize>> {
        match self {
            Self::Tuple(items) | Self::List(items) => items.iter().map(Self::as_usize).collect(),
            _ => None,
        }
    }

    pub(super) fn is_mutable_container(&self) -> bool {
        matches!(self, Self::List(_) | Self::Dict(_) | Self::Object { .. })
    }
}

pub(super) fn long_from_le(bytes: &[u8]) -> Result<i128, TorchError> {
    if bytes.len() > 16 {
        return Err(bad("integer wider than 128 bits"));
    }
    let negative = bytes.last().is_some_and(|b| b & 0x80 != 0);
    let mut buf = if negative { [0xff; 16] } else { [0; 16] };
    buf[..bytes.len()].copy_from_slice(bytes);
    Ok(i128::from_le_bytes(buf))
}

pub(super) fn persistent_storage(pid: Value) -> Result<StorageRef, TorchError> {
    let Value::Tuple(parts) = pid else {
        return Err(bad("persistent id is not a tuple"));
    };
    match parts.as_slice() {
        [
            Value::Str(kind),
            Value::Global(Global::Storage(storage_type)),
            Value::Str(key),
            Value::Str(_location),
            numel,
            ..,
        ] if kind == "storage" => {
            let numel = numel
                .as_usize()
                .ok_or_else(|| bad("storage size is not a count"))?;
            Ok(StorageRef {
                storage_type: *storage_type,
                key: key.clone(),
                numel,
            })
        }
        _ => Err(bad(format!("unsupported persistent id {parts:?}"))),
    }
}

pub(super) fn reduce(callable: Value, args: Value) -> Result<Value, TorchError> {
    let Value::Tuple(args) = args else {
        return Err(bad("REDUCE arguments are not a tuple"));
    };
    match callable {
        Value::Global(Global::OrderedDict) if args.is_empty() => Ok(Value::Dict(Vec::new())),
        Value::Global(Global::BuildIntList) => match args.as_slice() {
            [list @ Value::List(_)] => Ok(list.clone()),
            _ => Err(bad("build_intlist expects one list")),
        },
        Value::Global(Global::RebuildTensorV2) => rebuild_tensor(&args),
        other => Err(bad(format!("calling {other:?} is not allowed"))),
    }
}

fn rebuild_tensor(args: &[Value]) -> Result<Value, TorchError> {
    let [Value::Storage(storage), offset, shape, stride, ..] = args else {
        return Err(bad("_rebuild_tensor_v2 with unexpected arguments"));
    };
    let offset = offset.as_usize().ok_or_else(|| bad("tensor offset"))?;
    let shape = shape.as_usize_list().ok_or_else(|| bad("tensor shape"))?;
    let stride = stride.as_usize_list().ok_or_else(|| bad("tensor stride"))?;
    if shape.len() != stride.len() {
        return Err(bad("tensor shape and stride differ in rank"));
    }
    Ok(Value::Tensor(TensorRef {
        storage: storage.clone(),
        offset,
        shape,
        stride,
    }))
}
