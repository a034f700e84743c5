//! Hand-built pickles: what the readers accept, and what they must refuse.

use std::io::{Cursor, Write};

use super::pickle::{self, Policy, Value};
use super::*;

/// Emits pickle opcodes (protocol 2) by name.
#[derive(Default)]
struct Pickle(Vec<u8>);

impl Pickle {
    fn op(mut self, byte: u8) -> Self {
        self.0.push(byte);
        self
    }
    fn proto(self) -> Self {
        self.op(0x80).op(2)
    }
    fn mark(self) -> Self {
        self.op(b'(')
    }
    fn tuple(self) -> Self {
        self.op(b't')
    }
    fn stop(self) -> Self {
        self.op(b'.')
    }
    fn int(self, v: u8) -> Self {
        self.op(b'K').op(v)
    }
    fn str(mut self, s: &str) -> Self {
        self.0.push(b'X');
        self.0
            .extend_from_slice(&u32::try_from(s.len()).unwrap().to_le_bytes());
        self.0.extend_from_slice(s.as_bytes());
        self
    }
    fn global(mut self, module: &str, name: &str) -> Self {
        self.0.push(b'c');
        self.0
            .extend_from_slice(format!("{module}\n{name}\n").as_bytes());
        self
    }
    fn long(mut self, v: i128, len: u8) -> Self {
        self.0.extend_from_slice(&[0x8a, len]);
        self.0
            .extend_from_slice(&v.to_le_bytes()[..usize::from(len)]);
        self
    }
    /// `_rebuild_tensor_v2(storage(pid), 0, shape, stride, False, OrderedDict())`
    fn tensor(self, storage: &str, key: &str, shape: &[u8], stride: &[u8]) -> Self {
        let numel: u8 = shape.iter().product();
        let mut p = self
            .global("torch._utils", "_rebuild_tensor_v2")
            .mark()
            .mark()
            .str("storage")
            .global("torch", storage)
            .str(key)
            .str("cpu")
            .int(numel)
            .tuple()
            .op(b'Q')
            .int(0)
            .mark();
        for &d in shape {
            p = p.int(d);
        }
        p = p.tuple().mark();
        for &s in stride {
            p = p.int(s);
        }
        p.tuple()
            .op(0x89)
            .global("collections", "OrderedDict")
            .op(b')')
            .op(b'R')
            .tuple()
            .op(b'R')
    }
}

/// A legacy torch.save file with `w` (f32 [2, 2]) and `q` (u8 [3]).
fn legacy_file() -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend(
        Pickle::default()
            .proto()
            .long(0x1950_a86a_20f9_469c_fc6c, 10)
            .stop()
            .0,
    );
    bytes.extend(
        Pickle::default()
            .proto()
            .op(b'M')
            .op(0xe9)
            .op(0x03)
            .stop()
            .0,
    );
    bytes.extend(
        Pickle::default()
            .proto()
            .op(b'}')
            .str("little_endian")
            .op(0x88)
            .op(b's')
            .stop()
            .0,
    );
    bytes.extend(
        Pickle::default()
            .proto()
            .op(b'}')
            .mark()
            .str("w")
            .tensor("FloatStorage", "k0", &[2, 2], &[2, 1])
            .str("q")
            .tensor("ByteStorage", "k1", &[3], &[1])
            .op(b'u')
            .stop()
            .0,
    );
    bytes.extend(
        Pickle::default()
            .proto()
            .op(b']')
            .mark()
            .str("k0")
            .str("k1")
            .op(b'e')
            .stop()
            .0,
    );
    bytes.extend(4u64.to_le_bytes());
    for v in [1.0f32, -2.0, 0.5, 3.25] {
        bytes.extend(v.to_le_bytes());
    }
    bytes.extend(3u64.to_le_bytes());
    bytes.extend([7u8, 0, 255]);
    bytes
}

#[test]
fn reads_a_hand_built_legacy_file() {
    let tensors = read_legacy(&legacy_file()).unwrap();
    assert_eq!(tensors.len(), 2);
    assert_eq!(tensors[0].name, "w");
    assert_eq!(tensors[0].shape, vec![2, 2]);
    assert_eq!(tensors[0].data, TensorData::F32(vec![1.0, -2.0, 0.5, 3.25]));
    assert_eq!(tensors[1].name, "q");
    assert_eq!(tensors[1].data, TensorData::U8(vec![7, 0, 255]));
}

#[test]
fn truncated_legacy_file_is_an_error_not_a_panic() {
    let full = legacy_file();
    for cut in [0, 5, 40, full.len() / 2, full.len() - 1] {
        assert!(
            read_legacy(&full[..cut]).is_err(),
            "cut at {cut} was accepted"
        );
    }
}

#[test]
fn every_single_byte_corruption_is_handled() {
    // A small fuzz: flipping any byte must give Ok or Err, never a panic.
    let full = legacy_file();
    for i in 0..full.len() {
        for flip in [0x01, 0x80, 0xff] {
            let mut bytes = full.clone();
            bytes[i] ^= flip;
            let _ = read_legacy(&bytes);
        }
    }
}

fn refused(bytes: &[u8], policy: Policy) -> TorchError {
    let mut pos = 0;
    match pickle::read(bytes, &mut pos, policy) {
        Ok(value) => panic!("accepted: {value:?}"),
        Err(err) => err,
    }
}

#[test]
fn refuses_os_system() {
    let evil = Pickle::default()
        .proto()
        .global("os", "system")
        .mark()
        .str("touch /tmp/pwned")
        .tuple()
        .op(b'R')
        .stop();
    let err = refused(
        &evil.0,
        Policy {
            script_classes: true,
        },
    );
    assert!(
        matches!(&err, TorchError::ForbiddenGlobal(g) if g == "os.system"),
        "{err}"
    );
    assert!(err.to_string().contains("os.system"));
}

#[test]
fn refuses_other_globals_and_script_classes_outside_torchscript() {
    for (module, name) in [
        ("builtins", "eval"),
        ("__builtin__", "exec"),
        ("subprocess", "Popen"),
        ("torch", "load"),
        ("torch._utils", "_rebuild_parameter"),
        ("collections", "defaultdict"),
        ("__torch__.inceptionv3", "InceptionV3"),
    ] {
        let bytes = Pickle::default().proto().global(module, name).stop();
        let err = refused(
            &bytes.0,
            Policy {
                script_classes: false,
            },
        );
        assert!(
            matches!(err, TorchError::ForbiddenGlobal(_)),
            "{module}.{name}: {err}"
        );
    }
}

#[test]
fn refuses_opcodes_outside_the_subset() {
    // INST (`i`), OBJ (`o`), STACK_GLOBAL (0x93) and EXT1 (0x82) can all call code.
    for opcode in [b'i', b'o', 0x93, 0x82] {
        let bytes = Pickle::default().proto().op(opcode).stop();
        let err = refused(
            &bytes.0,
            Policy {
                script_classes: true,
            },
        );
        assert!(matches!(err, TorchError::Pickle(_)), "{err}");
    }
}

#[test]
fn script_classes_become_attribute_bags() {
    let bytes = Pickle::default()
        .proto()
        .global("__torch__.net", "Conv")
        .op(b')')
        .op(0x81)
        .op(b'}')
        .mark()
        .str("training")
        .op(0x89)
        .str("weight")
        .tensor("FloatStorage", "0", &[2], &[1])
        .op(b'u')
        .op(b'b')
        .stop();
    let mut pos = 0;
    let value = pickle::read(
        &bytes.0,
        &mut pos,
        Policy {
            script_classes: true,
        },
    )
    .unwrap();
    let Value::Object { class, attrs } = value else {
        panic!("{value:?}")
    };
    assert_eq!(class, "__torch__.net.Conv");
    assert_eq!(attrs[0], ("training".to_owned(), Value::Bool(false)));
    assert!(matches!(&attrs[1].1, Value::Tensor(t) if t.shape == vec![2]));
}

#[test]
fn reads_a_hand_built_torchscript_archive() {
    let module = Pickle::default()
        .proto()
        .global("__torch__.net", "Net")
        .op(b')')
        .op(0x81)
        .op(b'}')
        .mark()
        .str("conv")
        .global("__torch__.net", "Conv")
        .op(b')')
        .op(0x81)
        .op(b'}')
        .mark()
        .str("weight")
        .tensor("FloatStorage", "0", &[1, 2], &[2, 1])
        .op(b'u')
        .op(b'b')
        .op(b'u')
        .op(b'b')
        .stop();
    let mut zip_bytes = Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut zip_bytes);
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("m/data.pkl", options).unwrap();
        zip.write_all(&module.0).unwrap();
        zip.start_file("m/data/0", options).unwrap();
        zip.write_all(&[0.25f32.to_le_bytes(), 4.0f32.to_le_bytes()].concat())
            .unwrap();
        zip.finish().unwrap();
    }
    zip_bytes.set_position(0);
    let tensors = read_torchscript(zip_bytes).unwrap();
    assert_eq!(tensors.len(), 1);
    assert_eq!(tensors[0].name, "conv.weight");
    assert_eq!(tensors[0].shape, vec![1, 2]);
    assert_eq!(tensors[0].data, TensorData::F32(vec![0.25, 4.0]));
}

#[test]
fn non_contiguous_tensors_are_refused() {
    let bytes = Pickle::default()
        .proto()
        .tensor("FloatStorage", "0", &[2, 2], &[1, 2])
        .stop();
    let mut pos = 0;
    let Value::Tensor(tensor) = pickle::read(
        &bytes.0,
        &mut pos,
        Policy {
            script_classes: false,
        },
    )
    .unwrap() else {
        panic!()
    };
    let err = materialize("t".into(), &tensor, &[0; 16]).unwrap_err();
    assert!(err.to_string().contains("non-contiguous"));
}
