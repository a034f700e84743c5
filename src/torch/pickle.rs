//! A safe reader for the subset of Python's pickle format that PyTorch weight
//! files use. It implements a fixed set of opcodes and recognises a fixed set
//! of GLOBALs as data constructors; it never imports or calls anything.
//! Anything outside that subset is an error.

use std::collections::HashMap;

use super::TorchError;
pub use super::value::{Global, StorageRef, StorageType, TensorRef, Value};
use super::value::{long_from_le, persistent_storage, reduce};

/// Which GLOBALs a file may name besides the tensor and storage constructors.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// Accept `__torch__.*` classes (TorchScript archives only).
    pub script_classes: bool,
}

enum Item {
    Mark,
    Value(Value),
}

/// Reads one pickle starting at `*pos`; leaves `*pos` just after its STOP.
pub fn read(data: &[u8], pos: &mut usize, policy: Policy) -> Result<Value, TorchError> {
    Unpickler {
        data,
        pos: *pos,
        policy,
        stack: Vec::new(),
        memo: HashMap::new(),
    }
    .run()
    .map(|(value, end)| {
        *pos = end;
        value
    })
}

struct Unpickler<'a> {
    data: &'a [u8],
    pos: usize,
    policy: Policy,
    stack: Vec<Item>,
    memo: HashMap<u32, Value>,
}

pub(super) fn bad(message: impl Into<String>) -> TorchError {
    TorchError::Pickle(message.into())
}

impl<'a> Unpickler<'a> {
    #[expect(
        clippy::too_many_lines,
        reason = "one opcode dispatch table reads best as one match"
    )]
    fn run(mut self) -> Result<(Value, usize), TorchError> {
        loop {
            let at = self.pos;
            let opcode = self.take(1)?[0];
            match opcode {
                0x80 => {
                    let protocol = self.take(1)?[0];
                    if protocol > 2 {
                        return Err(bad(format!("pickle protocol {protocol} is not supported")));
                    }
                }
                b'.' => {
                    let value = self.pop()?;
                    return Ok((value, self.pos));
                }
                b'(' => self.stack.push(Item::Mark),
                b'}' => self.push(Value::Dict(Vec::new())),
                b']' => self.push(Value::List(Vec::new())),
                b')' => self.push(Value::Tuple(Vec::new())),
                b't' => {
                    let items = self.pop_to_mark()?;
                    self.push(Value::Tuple(items));
                }
                0x85..=0x87 => {
                    let n = usize::from(opcode - 0x84);
                    let split = self
                        .stack
                        .len()
                        .checked_sub(n)
                        .ok_or_else(|| bad("stack underflow"))?;
                    let items = self
                        .stack
                        .split_off(split)
                        .into_iter()
                        .map(|item| match item {
                            Item::Value(v) => Ok(v),
                            Item::Mark => Err(bad("MARK inside TUPLEn")),
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    self.push(Value::Tuple(items));
                }
                b'q' => {
                    let index = u32::from(self.take(1)?[0]);
                    self.memo_put(index)?;
                }
                b'r' => {
                    let index = self.u32_le()?;
                    self.memo_put(index)?;
                }
                b'h' => {
                    let index = u32::from(self.take(1)?[0]);
                    self.memo_get(index)?;
                }
                b'j' => {
                    let index = self.u32_le()?;
                    self.memo_get(index)?;
                }
                b'X' => {
                    let len = self.u32_le()? as usize;
                    let bytes = self.take(len)?;
                    let text =
                        std::str::from_utf8(bytes).map_err(|_| bad("string is not UTF-8"))?;
                    self.push(Value::Str(text.to_owned()));
                }
                b'J' => {
                    let bytes = self.take(4)?;
                    let value = i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                    self.push(Value::Int(i128::from(value)));
                }
                b'K' => {
                    let value = self.take(1)?[0];
                    self.push(Value::Int(i128::from(value)));
                }
                b'M' => {
                    let bytes = self.take(2)?;
                    self.push(Value::Int(i128::from(u16::from_le_bytes([
                        bytes[0], bytes[1],
                    ]))));
                }
                0x8a => {
                    let len = usize::from(self.take(1)?[0]);
                    let value = long_from_le(self.take(len)?)?;
                    self.push(Value::Int(value));
                }
                b'G' => {
                    let bytes: [u8; 8] =
                        self.take(8)?.try_into().map_err(|_| bad("short float"))?;
                    self.push(Value::Float(f64::from_be_bytes(bytes)));
                }
                b'N' => self.push(Value::None),
                0x88 => self.push(Value::Bool(true)),
                0x89 => self.push(Value::Bool(false)),
                b's' => {
                    let value = self.pop()?;
                    let key = self.pop()?;
                    self.dict_top()?.push((key, value));
                }
                b'u' => {
                    let items = self.pop_to_mark()?;
                    if items.len() % 2 != 0 {
                        return Err(bad("SETITEMS with an odd number of items"));
                    }
                    let mut items = items.into_iter();
                    let dict = self.dict_top()?;
                    while let (Some(k), Some(v)) = (items.next(), items.next()) {
                        dict.push((k, v));
                    }
                }
                b'a' => {
                    let value = self.pop()?;
                    self.list_top()?.push(value);
                }
                b'e' => {
                    let items = self.pop_to_mark()?;
                    self.list_top()?.extend(items);
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    let global = self.global(&module, &name)?;
                    self.push(Value::Global(global));
                }
                b'R' => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let value = reduce(callable, args)?;
                    self.push(value);
                }
                0x81 => {
                    let args = self.pop()?;
                    let class = self.pop()?;
                    match (class, args) {
                        (Value::Global(Global::ScriptClass(class)), Value::Tuple(a))
                            if a.is_empty() =>
                        {
                            self.push(Value::Object {
                                class,
                                attrs: Vec::new(),
                            });
                        }
                        (class, _) => {
                            return Err(bad(format!("NEWOBJ of {class:?} is not allowed")));
                        }
                    }
                }
                b'b' => {
                    let state = self.pop()?;
                    self.build(state)?;
                }
                b'Q' => {
                    let pid = self.pop()?;
                    let storage = persistent_storage(pid)?;
                    self.push(Value::Storage(storage));
                }
                other => {
                    return Err(bad(format!(
                        "opcode 0x{other:02x} at byte {at} is not supported"
                    )));
                }
            }
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], TorchError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| bad("the pickle ends early"))?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn u32_le(&mut self) -> Result<u32, TorchError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn line(&mut self) -> Result<String, TorchError> {
        let rest = &self.data[self.pos..];
        let len = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| bad("unterminated GLOBAL"))?;
        let text = std::str::from_utf8(&rest[..len]).map_err(|_| bad("GLOBAL is not UTF-8"))?;
        self.pos += len + 1;
        Ok(text.to_owned())
    }

    fn push(&mut self, value: Value) {
        self.stack.push(Item::Value(value));
    }

    fn pop(&mut self) -> Result<Value, TorchError> {
        match self.stack.pop() {
            Some(Item::Value(v)) => Ok(v),
            Some(Item::Mark) => Err(bad("unexpected MARK")),
            None => Err(bad("stack underflow")),
        }
    }

    fn pop_to_mark(&mut self) -> Result<Vec<Value>, TorchError> {
        let mark = self
            .stack
            .iter()
            .rposition(|item| matches!(item, Item::Mark))
            .ok_or_else(|| bad("no MARK on the stack"))?;
        let items = self.stack.split_off(mark + 1);
        self.stack.pop();
        Ok(items
            .into_iter()
            .filter_map(|item| match item {
                Item::Value(v) => Some(v),
                Item::Mark => None,
            })
            .collect())
    }

    fn top(&mut self) -> Result<&mut Value, TorchError> {
        match self.stack.last_mut() {
            Some(Item::Value(v)) => Ok(v),
            _ => Err(bad("expected a value on the stack")),
        }
    }

    fn dict_top(&mut self) -> Result<&mut Vec<(Value, Value)>, TorchError> {
        match self.top()? {
            Value::Dict(entries) => Ok(entries),
            other => Err(bad(format!("SETITEM on {other:?}"))),
        }
    }

    fn list_top(&mut self) -> Result<&mut Vec<Value>, TorchError> {
        match self.top()? {
            Value::List(items) => Ok(items),
            other => Err(bad(format!("APPEND on {other:?}"))),
        }
    }

    fn memo_put(&mut self, index: u32) -> Result<(), TorchError> {
        let value = self.top()?.clone();
        self.memo.insert(index, value);
        Ok(())
    }

    /// Memo entries are copies, so a container filled after it was memoised would be
    /// read back stale. These files never re-read one; refuse rather than guess.
    fn memo_get(&mut self, index: u32) -> Result<(), TorchError> {
        let value = self
            .memo
            .get(&index)
            .ok_or_else(|| bad(format!("memo {index} is empty")))?;
        if value.is_mutable_container() {
            return Err(bad("shared references to containers are not supported"));
        }
        let value = value.clone();
        self.push(value);
        Ok(())
    }

    fn global(&self, module: &str, name: &str) -> Result<Global, TorchError> {
        Ok(match (module, name) {
            ("torch._utils", "_rebuild_tensor_v2") => Global::RebuildTensorV2,
            ("torch", "FloatStorage") => Global::Storage(StorageType::Float),
            ("torch", "ByteStorage") => Global::Storage(StorageType::Byte),
            ("collections", "OrderedDict") => Global::OrderedDict,
            ("torch.jit._pickle", "build_intlist") => Global::BuildIntList,
            (module, name) if self.policy.script_classes && module.starts_with("__torch__") => {
                Global::ScriptClass(format!("{module}.{name}"))
            }
            _ => return Err(TorchError::ForbiddenGlobal(format!("{module}.{name}"))),
        })
    }

    fn build(&mut self, state: Value) -> Result<(), TorchError> {
        match (self.top()?, state) {
            (Value::Object { attrs, .. }, Value::Dict(entries)) => {
                for (key, value) in entries {
                    let Value::Str(key) = key else {
                        return Err(bad("object attribute name is not a string"));
                    };
                    attrs.push((key, value));
                }
                Ok(())
            }
            // `torch._utils._rebuild_tensor_v2` tensors are never BUILT in these files.
            (target, _) => Err(bad(format!("BUILD on {target:?} is not allowed"))),
        }
    }
}
