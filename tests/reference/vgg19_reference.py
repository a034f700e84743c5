"""Independent NumPy reference for VGG19 activations (style transfer's net).

Reads the same converted weights the studio uses (vgg19.safetensors, written by
`latent-studio fetch vgg19`), runs the 16 convolutions on a fixed 48x32 image
with plain NumPy (no deep-learning framework), and prints a fixture that
tests/nets.rs compares against. Regenerate with:

    python3 tests/reference/vgg19_reference.py ~/.cache/latent-studio/vgg19/converted/vgg19.safetensors \
        > tests/fixtures/vgg19_activations.txt
"""
import json
import struct
import sys

import numpy as np

LAYERS = ["block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2",
          "block3_conv1", "block3_conv2", "block3_conv3", "block3_conv4",
          "block4_conv1", "block4_conv2", "block4_conv3", "block4_conv4",
          "block5_conv1", "block5_conv2", "block5_conv3", "block5_conv4"]
TAPS = ["block1_conv1", "block2_conv2", "block3_conv1", "block4_conv1", "block5_conv2"]
POOL_AFTER = {"block1_conv2", "block2_conv2", "block3_conv4", "block4_conv4"}
MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float64)
W, H = 48, 32


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        assert entry["dtype"] == "F32"
        out[name] = np.frombuffer(body[start:end], dtype="<f4").reshape(entry["shape"]).astype(np.float64)
    return out


def test_image():
    y, x = np.mgrid[0:H, 0:W]
    r = (x * 37 + y * 11) % 256
    g = (x * 5 + y * 29) % 256
    b = (x * y * 3) % 256
    return np.stack([r, g, b], axis=-1).astype(np.float64)  # H, W, RGB


def conv3x3(x, w, b):
    c, h, wd = x.shape
    padded = np.zeros((c, h + 2, wd + 2))
    padded[:, 1:-1, 1:-1] = x
    out = np.zeros((w.shape[0], h, wd))
    for dy in range(3):
        for dx in range(3):
            patch = padded[:, dy:dy + h, dx:dx + wd]
            out += np.einsum("oi,ihw->ohw", w[:, :, dy, dx], patch)
    return out + b[:, None, None]


def maxpool(x):
    c, h, w = x.shape
    h2, w2 = h // 2, w // 2
    x = x[:, :h2 * 2, :w2 * 2].reshape(c, h2, 2, w2, 2)
    return x.max(axis=(2, 4))


def main():
    weights = read_safetensors(sys.argv[1])
    rgb = test_image()
    x = (rgb[:, :, ::-1] - MEAN_BGR).transpose(2, 0, 1)  # BGR planar, mean removed
    print(f"# VGG19 activations on the fixed {W}x{H} image of tests/reference/vgg19_reference.py")
    print("# layer channels height width sum sum_of_squares then 8 sampled values")
    for layer in LAYERS:
        x = np.maximum(conv3x3(x, weights[layer + ".weight"], weights[layer + ".bias"]), 0.0)
        if layer in TAPS:
            c, h, w = x.shape
            flat = x.reshape(-1)
            picks = [(i * 7919) % flat.size for i in range(8)]
            values = " ".join(f"{flat[p]:.6g}" for p in picks)
            print(f"{layer} {c} {h} {w} {flat.sum():.8g} {(flat ** 2).sum():.8g} {values}")
        if layer == TAPS[-1]:
            break
        if layer in POOL_AFTER:
            x = maxpool(x)


main()
