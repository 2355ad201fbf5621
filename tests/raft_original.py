"""princeton-vl's RAFT (large), forward only, as plain functions of its own state dict: the
reference the converted torchvision network is held against.

Written from VBench's copy (Vchitect/VBench at 45e79ec, ``vbench/third_party/RAFT/core/
{raft,extractor,update,corr}.py`` and ``utils_core/utils.py``): parameter names and shapes
of ``raft-things.pth`` (``module.`` prefixes, ``norm3`` saved beside its twin
``downsample.1``), and ``RAFT.forward(image1, image2, iters, test_mode=True)``'s upsampled flow.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

State = dict[str, torch.Tensor]
LAYERS = ((64, 1), (96, 2), (128, 2))  # BasicEncoder's layer1-3: width, first stride
GRU = {"1": (1, 5), "2": (5, 1)}  # SepConvGRU: horizontal then vertical


def original_shapes() -> dict[str, tuple[int, ...]]:
    """Names (without ``module.``) and shapes of RAFT-large's state dict."""
    shapes: dict[str, tuple[int, ...]] = {}

    def conv(name: str, out: int, inp: int, kernel: tuple[int, int]) -> None:
        shapes[f"{name}.weight"], shapes[f"{name}.bias"] = (out, inp, *kernel), (out,)

    def batch_norm(name: str, width: int) -> None:
        for part in ("weight", "bias", "running_mean", "running_var"):
            shapes[f"{name}.{part}"] = (width,)
        shapes[f"{name}.num_batches_tracked"] = ()

    for encoder, batch in (("fnet", False), ("cnet", True)):  # instance norm has no state
        conv(f"{encoder}.conv1", 64, 3, (7, 7))
        if batch:
            batch_norm(f"{encoder}.norm1", 64)
        width_in = 64
        for layer, (width, stride) in enumerate(LAYERS, 1):
            for block in (0, 1):
                name = f"{encoder}.layer{layer}.{block}"
                conv(f"{name}.conv1", width, width_in, (3, 3))
                conv(f"{name}.conv2", width, width, (3, 3))
                norms = ["norm1", "norm2"]
                if block == 0 and stride != 1:
                    conv(f"{name}.downsample.0", width, width_in, (1, 1))
                    norms += ["norm3", "downsample.1"]
                for norm in norms if batch else ():
                    batch_norm(f"{name}.{norm}", width)
                width_in = width
        conv(f"{encoder}.conv2", 256, 128, (1, 1))
    conv("update_block.encoder.convc1", 256, 4 * 81, (1, 1))
    conv("update_block.encoder.convc2", 192, 256, (3, 3))
    conv("update_block.encoder.convf1", 128, 2, (7, 7))
    conv("update_block.encoder.convf2", 64, 128, (3, 3))
    conv("update_block.encoder.conv", 126, 256, (3, 3))
    for suffix, kernel in GRU.items():
        for gate in "zrq":
            conv(f"update_block.gru.conv{gate}{suffix}", 128, 384, kernel)
    conv("update_block.flow_head.conv1", 256, 128, (3, 3))
    conv("update_block.flow_head.conv2", 2, 256, (3, 3))
    conv("update_block.mask.0", 256, 128, (3, 3))
    conv("update_block.mask.2", 576, 256, (1, 1))
    return shapes


def random_original(seed: int = 0) -> State:
    """A random RAFT-large state dict as ``raft-things.pth`` holds it (``module.`` names,
    ``norm3`` the same tensors as ``downsample.1``), scaled so that activations stay O(1) and
    the 20 updates stay small (random updates of tens of px per step amplify float rounding
    into visible differences between any two correct implementations)."""
    generator = torch.Generator().manual_seed(seed)
    state: State = {}
    for name, shape in original_shapes().items():
        if name.endswith("num_batches_tracked"):
            value = torch.tensor(0)
        elif name.endswith("running_var"):
            value = 0.5 + torch.rand(shape, generator=generator)
        elif len(shape) == 4:
            fan_in = shape[1] * shape[2] * shape[3]
            value = torch.randn(shape, generator=generator) * (2.0 / fan_in) ** 0.5
        elif ".norm" in name and name.endswith("weight") or "downsample.1.weight" in name:
            value = 1.0 + 0.1 * torch.randn(shape, generator=generator)
        else:
            value = 0.1 * torch.randn(shape, generator=generator)
        state[name] = value
    state["update_block.flow_head.conv2.weight"] *= 0.05  # small steps: a flow of a few px
    for name in [n for n in state if ".norm3." in n]:
        state[name] = state[name.replace(".norm3.", ".downsample.1.")]
    return {f"module.{name}": value for name, value in state.items()}


def _conv(state: State, name: str, x: torch.Tensor, stride: int = 1) -> torch.Tensor:
    weight = state[f"{name}.weight"]
    padding = (weight.shape[2] // 2, weight.shape[3] // 2)
    return F.conv2d(x, weight, state[f"{name}.bias"], stride, padding)


def _encoder(state: State, prefix: str, x: torch.Tensor, batch: bool) -> torch.Tensor:
    """BasicEncoder: instance norm (``fnet``) or eval-mode batch norm (``cnet``)."""

    def norm(name: str, y: torch.Tensor) -> torch.Tensor:
        if not batch:
            return F.instance_norm(y, eps=1e-5)
        p = f"{prefix}.{name}"
        return F.batch_norm(y, state[f"{p}.running_mean"], state[f"{p}.running_var"],
                            state[f"{p}.weight"], state[f"{p}.bias"], False, 0.0, 1e-5)  # fmt: skip

    x = F.relu(norm("norm1", _conv(state, f"{prefix}.conv1", x, 2)))
    for layer, (_, stride) in enumerate(LAYERS, 1):
        for block in (0, 1):
            name = f"layer{layer}.{block}"
            step = stride if block == 0 else 1
            y = F.relu(norm(f"{name}.norm1", _conv(state, f"{prefix}.{name}.conv1", x, step)))
            y = F.relu(norm(f"{name}.norm2", _conv(state, f"{prefix}.{name}.conv2", y)))
            if step != 1:
                x = norm(f"{name}.norm3", _conv(state, f"{prefix}.{name}.downsample.0", x, step))
            x = F.relu(x + y)
    return _conv(state, f"{prefix}.conv2", x)


def _lookup(pyramid: list[torch.Tensor], coords: torch.Tensor, radius: int = 4) -> torch.Tensor:
    """CorrBlock.__call__: (2r + 1)^2 bilinear samples around ``coords`` at every level."""
    batch, _, height, width = coords.shape
    steps = torch.linspace(-radius, radius, 2 * radius + 1)
    delta = torch.stack(torch.meshgrid(steps, steps, indexing="ij"), -1)[None]  # (dy, dx)
    centre = coords.permute(0, 2, 3, 1).reshape(-1, 1, 1, 2)
    out = []
    for level, corr in enumerate(pyramid):
        points = centre / 2**level + delta
        x = 2 * points[..., :1] / (corr.shape[-1] - 1) - 1
        y = 2 * points[..., 1:] / (corr.shape[-2] - 1) - 1
        sampled = F.grid_sample(corr, torch.cat([x, y], -1), align_corners=True)
        out.append(sampled.view(batch, height, width, -1))
    return torch.cat(out, -1).permute(0, 3, 1, 2)


def _gru(state: State, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    for suffix in GRU:
        name = "update_block.gru.conv{}" + suffix
        hx = torch.cat([h, x], 1)
        z = torch.sigmoid(_conv(state, name.format("z"), hx))
        r = torch.sigmoid(_conv(state, name.format("r"), hx))
        q = torch.tanh(_conv(state, name.format("q"), torch.cat([r * h, x], 1)))
        h = (1 - z) * h + z * q
    return h


def original_raft_flow(
    state: State, image1: torch.Tensor, image2: torch.Tensor, iters: int = 20
) -> torch.Tensor:
    """``RAFT(args)(image1, image2, iters, test_mode=True)[1]`` for a ``raft-things.pth``-style
    ``state``: images (N, 3, H, W) in 0-255, H and W multiples of 8; flow (N, 2, H, W)."""
    state = {key.removeprefix("module."): value for key, value in state.items()}
    image1, image2 = 2 * (image1 / 255.0) - 1.0, 2 * (image2 / 255.0) - 1.0
    fmap1, fmap2 = (_encoder(state, "fnet", image, False) for image in (image1, image2))
    batch, dim, height, width = fmap1.shape
    corr = fmap1.flatten(2).transpose(1, 2) @ fmap2.flatten(2) / dim**0.5
    pyramid = [corr.reshape(batch * height * width, 1, height, width)]
    for _ in range(3):
        pyramid.append(F.avg_pool2d(pyramid[-1], 2, stride=2))
    net, inp = torch.split(_encoder(state, "cnet", image1, True), [128, 128], 1)
    net, inp = torch.tanh(net), torch.relu(inp)
    rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    coords0 = torch.stack([cols, rows]).float()[None].repeat(batch, 1, 1, 1)
    coords1 = coords0.clone()
    for _ in range(iters):
        corr_features, flow = _lookup(pyramid, coords1), coords1 - coords0
        motion = F.relu(_conv(state, "update_block.encoder.convc1", corr_features))
        motion = F.relu(_conv(state, "update_block.encoder.convc2", motion))
        flo = F.relu(_conv(state, "update_block.encoder.convf1", flow))
        flo = F.relu(_conv(state, "update_block.encoder.convf2", flo))
        motion = F.relu(_conv(state, "update_block.encoder.conv", torch.cat([motion, flo], 1)))
        net = _gru(state, net, torch.cat([inp, motion, flow], 1))
        delta = _conv(state, "update_block.flow_head.conv2",
                      F.relu(_conv(state, "update_block.flow_head.conv1", net)))  # fmt: skip
        mask = 0.25 * _conv(state, "update_block.mask.2",
                            F.relu(_conv(state, "update_block.mask.0", net)))  # fmt: skip
        coords1 = coords1 + delta
    # convex upsampling (RAFT.upsample_flow) of the last flow
    mask = torch.softmax(mask.view(batch, 1, 9, 8, 8, height, width), dim=2)
    up = F.unfold(8 * (coords1 - coords0), [3, 3], padding=1).view(batch, 2, 9, 1, 1, height, width)
    up = torch.sum(mask * up, dim=2).permute(0, 1, 4, 2, 5, 3)
    return up.reshape(batch, 2, 8 * height, 8 * width)
