"""Independent PyTorch reference for the studio's DCGAN training step (chapter 12.5).

The book's models written again in PyTorch (NCHW, with Keras' channels-last
Flatten and Reshape orders kept), the book's step (generated = 1, real = 0,
label noise added, misleading labels 0 for the generator, the generator run
without gradient for the discriminator's half), binary cross-entropy on
logits, Adam with beta_1 0.9, beta_2 0.999, epsilon 1e-7 (PyTorch's Adam and
burn's apply epsilon the same way; Keras adds it before the bias correction,
a difference of about 1e-7 / sqrt(v)).

It reads what `tests/gan_reference.rs` dumps with LATENT_STUDIO_DCGAN_DUMP set
(the studio's initial weights, ten batches of real face emoji, every step's
latents and label noise), trains for the dumped number of steps and prints
`step d_loss g_loss` per step: the fixture tests/fixtures/dcgan_reference.txt.

    LATENT_STUDIO_DCGAN_DUMP=/tmp/dcgan cargo test --release --test gan_reference
    python3 tests/reference/dcgan_reference.py /tmp/dcgan > tests/fixtures/dcgan_reference.txt

With --check-data PACKAGE (the fetched emoji package folder) it decodes the
face emoji itself (PIL; alpha composited on white with the same integer
rounding) and prints how far the dumped batches are from them: the data path
(compositing, value range [0, 1], RGB channel order, NCHW layout) checked
independently.

With --compare it prints instead the studio's and the reference's losses side
by side in windows of 25 steps (the README's comparison).
"""
import json
import sys

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def load(dir_, name, shape=None):
    values = np.fromfile(f"{dir_}/{name}.f32", dtype="<f4")
    return torch.from_numpy(values.reshape(shape) if shape is not None else values)


class Generator(nn.Module):
    def __init__(self, latent, channels, base):
        super().__init__()
        a, b, c = channels
        self.base, self.channels = base, a
        self.dense = nn.Linear(latent, base * base * a)
        self.deconv1 = nn.ConvTranspose2d(a, a, 4, 2, 1)
        self.deconv2 = nn.ConvTranspose2d(a, b, 4, 2, 1)
        self.deconv3 = nn.ConvTranspose2d(b, c, 4, 2, 1)
        self.out = nn.Conv2d(c, 3, 5, 1, 2)

    def forward(self, z):
        x = self.dense(z).view(-1, self.base, self.base, self.channels).permute(0, 3, 1, 2)
        for layer in (self.deconv1, self.deconv2, self.deconv3):
            x = F.leaky_relu(layer(x), 0.2)
        return torch.sigmoid(self.out(x))


class Discriminator(nn.Module):
    def __init__(self, channels, base):
        super().__init__()
        a, b, c = channels
        self.conv1 = nn.Conv2d(3, a, 4, 2, 1)
        self.conv2 = nn.Conv2d(a, b, 4, 2, 1)
        self.conv3 = nn.Conv2d(b, c, 4, 2, 1)
        self.dense = nn.Linear(c * base * base, 1)

    def forward(self, x):
        for layer in (self.conv1, self.conv2, self.conv3):
            x = F.leaky_relu(layer(x), 0.2)
        # Keras' Flatten of a channels-last map; dropout is off in the comparison.
        return self.dense(x.permute(0, 2, 3, 1).flatten(1))


def studio_to_torch(name, value):
    """The studio stores kernels [kh, kw, in, out] (as Keras) and dense weights [in, out]."""
    if name.endswith(".kernel"):
        if ".deconv" in name:
            return value.permute(2, 3, 0, 1)  # ConvTranspose2d: [in, out, kh, kw]
        return value.permute(3, 2, 0, 1)  # Conv2d: [out, in, kh, kw]
    if name.endswith(".weight"):
        return value.t()
    return value


def build(dir_, meta):
    shapes = {w["name"]: w["shape"] for w in meta["weights"]}
    g_channels = [shapes[f"generator.deconv{i}.kernel"][3] for i in (1, 2, 3)]
    d_channels = [shapes[f"discriminator.conv{i}.kernel"][3] for i in (1, 2, 3)]
    base = meta["side"] // 8
    generator = Generator(meta["latent"], g_channels, base)
    discriminator = Discriminator(d_channels, base)
    for owner, module in (("generator", generator), ("discriminator", discriminator)):
        params = dict(module.named_parameters())
        for name, shape in shapes.items():
            if not name.startswith(owner + "."):
                continue
            layer, kind = name[len(owner) + 1:].rsplit(".", 1)
            target = params[f"{layer}.{'bias' if kind == 'bias' else 'weight'}"]
            value = studio_to_torch(name, load(dir_, name, shape))
            assert target.shape == value.shape, (name, target.shape, value.shape)
            with torch.no_grad():
                target.copy_(value)
    return generator, discriminator


def train(dir_):
    meta = json.load(open(f"{dir_}/meta.json"))
    torch.set_num_threads(2)
    generator, discriminator = build(dir_, meta)
    batch, steps, latent, side = meta["batch"], meta["steps"], meta["latent"], meta["side"]
    batches = load(dir_, "batches", (meta["batches"], batch, 3, side, side))
    d_latents = load(dir_, "d_latents", (steps, batch, latent))
    g_latents = load(dir_, "g_latents", (steps, batch, latent))
    noise = load(dir_, "noise", (steps, 2 * batch, 1))
    adam = dict(lr=1e-4, betas=(0.9, 0.999), eps=1e-7)
    d_opt = torch.optim.Adam(discriminator.parameters(), **adam)
    g_opt = torch.optim.Adam(generator.parameters(), **adam)
    labels = torch.cat([torch.ones(batch, 1), torch.zeros(batch, 1)])
    losses = []
    for step in range(steps):
        real = batches[step % meta["batches"]]
        with torch.no_grad():
            fake = generator(d_latents[step])
        d_loss = F.binary_cross_entropy_with_logits(
            discriminator(torch.cat([fake, real])), labels + noise[step])
        d_opt.zero_grad()
        d_loss.backward()
        d_opt.step()
        g_loss = F.binary_cross_entropy_with_logits(
            discriminator(generator(g_latents[step])), torch.zeros(batch, 1))
        g_opt.zero_grad()
        g_loss.backward()
        g_opt.step()
        losses.append((d_loss.item(), g_loss.item()))
    return losses


FACE_SUBCATEGORIES = {"cat-face", "monkey-face", "person", "person-role", "person-gesture"}


def check_data(dir_, package):
    from PIL import Image

    meta = json.load(open(f"{dir_}/meta.json"))
    count = meta["batches"] * meta["batch"]
    names = []
    for entry in json.load(open(f"{package}/emoji.json")):
        face = (entry["category"] == "Smileys & Emotion" and entry["subcategory"].startswith("face-")) \
            or entry["subcategory"] in FACE_SUBCATEGORIES
        if face:
            names.append(entry["image"])
            names += [v["image"] for v in (entry.get("skin_variations") or {}).values()]
    ours = []
    for name in names[:count]:
        rgba = np.asarray(Image.open(f"{package}/img/google/64/{name}").convert("RGBA")).astype(np.uint32)
        alpha = rgba[..., 3:4]
        rgb = (rgba[..., :3] * alpha + 255 * (255 - alpha) + 127) // 255
        ours.append(rgb.transpose(2, 0, 1) / 255.0)
    dumped = load(dir_, "batches").numpy().reshape(count, 3, 64, 64)
    gap = np.abs(np.stack(ours) - dumped).max()
    white = (dumped[:, :, 0, 0] == 1.0).all(axis=1).mean()
    print(f"{count} images: max |studio - PIL| = {gap:.2e}; range [{dumped.min():.3f}, {dumped.max():.3f}]; "
          f"top-left pixel white in {white:.0%}")


def main():
    dir_ = sys.argv[1]
    if "--check-data" in sys.argv:
        check_data(dir_, sys.argv[sys.argv.index("--check-data") + 1])
        return
    losses = train(dir_)
    if "--compare" not in sys.argv:
        print("# step d_loss g_loss: tests/reference/dcgan_reference.py (PyTorch "
              f"{torch.__version__}), small model, dropout off")
        for step, (d, g) in enumerate(losses):
            print(f"{step} {d:.6f} {g:.6f}")
        return
    studio = [tuple(map(float, l.split()[1:])) for l in open(f"{dir_}/studio_losses.txt")]
    print("steps     | studio d / g   | reference d / g | max |d - d_ref|, |g - g_ref|")
    for start in range(0, len(losses), 25):
        ours = np.array(studio[start:start + 25])
        theirs = np.array(losses[start:start + 25])
        gap = np.abs(ours - theirs).max(axis=0)
        print(f"{start:3d}-{start + 24:3d}   | {ours[:, 0].mean():.3f} / {ours[:, 1].mean():.3f} "
              f"| {theirs[:, 0].mean():.3f} / {theirs[:, 1].mean():.3f}   | {gap[0]:.4f}, {gap[1]:.4f}")


if __name__ == "__main__":
    main()
