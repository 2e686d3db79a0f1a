"""Random valid channels-first models in plain ``torch.nn``, as neutral specs.

Same spec format as ``keras_specs.py``, with ``torch.nn`` class names and arguments (``add``
and ``cat`` for residual sums and channel concatenation)::

    {"input": (3, 9, 7), "outputs": ("t2",),
     "calls": [("t1", "l1", "Conv2d", {"in_channels": 3, "out_channels": 4,
                                       "kernel_size": 2, "padding": "same"}, ("t0",)),
               ("t2", "l2", "MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1,
                                          "ceil_mode": True}, ("t1",))]}

:func:`build_torch` makes the module; :func:`to_symcnn` translates one call into a symcnn
layer (``data_format="channels_first"``, explicit padding, ``ceil_mode``), which is the
mapping a PyTorch user would write by hand. This suite covers what Keras refuses: strides
together with dilation, explicit and ``'same'`` padding with even kernels, ``ceil_mode``,
``output_padding`` below the dilation.
"""

from __future__ import annotations

from hypothesis import strategies as st

from .build import refusal, run_symcnn, symbolic_disagreements
from .keras_specs import axes, divisors
from .shapes import Invalid, per_axis, torch_shape

SIZES = {1: (1, 40), 2: (1, 23), 3: (1, 8)}
CAP = {1: 80, 2: 40, 3: 16}
MAX_ELEMENTS = 20000
NO_WEIGHTS = ("ReLU", "Flatten", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "Upsample", "MaxPool",
              "AvgPool", "AdaptiveAvgPool", "AdaptiveMaxPool")


class TorchSpecBuilder:
    """Accumulates calls while tracking shapes with the brute-force tracker."""

    def __init__(self, input_shape):
        self.spec = {"input": tuple(input_shape), "outputs": (), "calls": []}
        self.shapes = {"t0": tuple(input_shape)}
        self.layers = {}  # name -> (op, args)

    def call(self, op, args, inputs, cap, layer=None):
        try:
            out = torch_shape(op, args, [self.shapes[t] for t in inputs])
        except Invalid:
            return None
        if any(d > cap for d in out) or _prod(out) > MAX_ELEMENTS:
            return None
        n = len(self.spec["calls"]) + 1
        name = f"t{n}"
        if layer is None:
            layer = f"l{n}"
            self.spec["calls"].append((name, layer, op, dict(args), tuple(inputs)))
            self.layers[layer] = (op, args)
        else:
            self.spec["calls"].append((name, layer, None, None, tuple(inputs)))
        self.shapes[name] = out
        return name

    def finish(self):
        consumed = {t for call in self.spec["calls"] for t in call[4]}
        self.spec["outputs"] = tuple(c[0] for c in self.spec["calls"] if c[0] not in consumed)
        return self.spec


def _prod(shape):
    out = 1
    for d in shape:
        out *= d
    return out


def draw_torch_layer(draw, shape):
    """``(op, args)`` for a rank-preserving module on a channels-first tensor."""
    rank = len(shape) - 1
    d = f"{rank}d"
    channels, spatial = shape[0], shape[1:]
    kinds = ["conv", "conv", "conv", "transpose", "pool", "pool", "adaptive", "norm", "linear",
             "pad", "relu"]
    if rank > 1:  # symcnn's Cropping1D and UpSampling1D are channels_last only, as Keras'
        kinds += ["crop", "up"]
    kind = draw(st.sampled_from(kinds))
    if kind == "conv":
        groups = draw(st.sampled_from(divisors(channels)))
        args = {"in_channels": channels,
                "out_channels": groups * draw(st.integers(1, 3 if groups > 1 else 8)),
                "kernel_size": axes(draw, rank, 1, 6), "bias": draw(st.booleans())}
        if groups > 1:
            args["groups"] = groups
        padding = draw(st.sampled_from(["int", "int", "same", "valid"]))
        if padding == "same":  # PyTorch: stride 1 only; pads asymmetrically for even kernels
            args["padding"] = "same"
        else:
            args["stride"] = axes(draw, rank, 1, 4)
            args["padding"] = "valid" if padding == "valid" else axes(draw, rank, 0, 3)
        args["dilation"] = axes(draw, rank, 1, 3)
        return f"Conv{d}", args
    if kind == "transpose":
        groups = draw(st.sampled_from(divisors(channels)))
        top = 3 if rank < 3 else 2  # transposed convolutions grow; keep 3D ones small
        kernel, stride, dilation = (axes(draw, rank, 1, top + 1), axes(draw, rank, 1, top),
                                    axes(draw, rank, 1, top))
        limit = [max(s, dd) - 1 for s, dd in zip(per_axis(stride, rank), per_axis(dilation, rank))]
        return f"ConvTranspose{d}", {
            "in_channels": channels,
            "out_channels": groups * draw(st.integers(1, 3 if groups > 1 else 6)),
            "kernel_size": kernel, "stride": stride, "dilation": dilation,
            "padding": axes(draw, rank, 0, 3),
            "output_padding": tuple(draw(st.integers(0, m)) for m in limit),
            "groups": groups, "bias": draw(st.booleans())}
    if kind == "pool":
        op = draw(st.sampled_from([f"MaxPool{d}", f"AvgPool{d}"]))
        kernel = axes(draw, rank, 1, 5)
        if op == "AvgPool3d":  # PyTorch's avg_pool3d also wants the unpadded input >= kernel
            kernel = tuple(min(k, i) for k, i in zip(per_axis(kernel, rank), spatial))
        args = {"kernel_size": kernel,
                "padding": tuple(draw(st.integers(0, k // 2)) for k in per_axis(kernel, rank)),
                "ceil_mode": draw(st.booleans())}
        if draw(st.booleans()):
            args["stride"] = axes(draw, rank, 1, 4)
        if op.startswith("MaxPool") and draw(st.booleans()):  # AvgPool has no dilation
            args["dilation"] = axes(draw, rank, 1, 3)
        return op, args
    if kind == "adaptive":
        entry = st.integers(1, 6) if rank == 1 else st.one_of(st.none(), st.integers(1, 6))
        size = tuple(draw(entry) for _ in range(rank))
        return draw(st.sampled_from([f"AdaptiveAvgPool{d}", f"AdaptiveMaxPool{d}"])), \
            {"output_size": size[0] if rank == 1 else size}
    if kind == "norm":
        if draw(st.booleans()):
            return f"BatchNorm{d}", {"num_features": channels}
        return "GroupNorm", {"num_groups": draw(st.sampled_from(divisors(channels))),
                             "num_channels": channels}
    if kind == "linear":
        return "Linear", {"in_features": shape[-1], "out_features": draw(st.integers(1, 9)),
                          "bias": draw(st.booleans())}
    if kind in ("pad", "crop"):
        sign = 1 if kind == "pad" else -1
        amounts = []
        for i in reversed(spatial):  # torch lists the last axis first
            a, b = draw(st.integers(0, 3)), draw(st.integers(0, 3))
            if kind == "crop":
                a, b = min(a, (i - 1) // 2), min(b, (i - 1) // 2)
            amounts += [sign * a, sign * b]
        return f"ZeroPad{d}", {"padding": tuple(amounts)}
    if kind == "up":
        factors = tuple(draw(st.integers(1, 3)) for _ in range(rank))  # one per axis
        return "Upsample", {"scale_factor": factors, "mode": "nearest"}
    return "ReLU", {}


@st.composite
def torch_models(draw):
    """A random valid channels-first ``torch.nn`` model, as a neutral spec."""
    rank = draw(st.sampled_from([1, 2, 2, 2, 3]))
    lo, hi = SIZES[rank]
    shape = (draw(st.integers(1, 6)), *(draw(st.integers(lo, hi)) for _ in range(rank)))
    b = TorchSpecBuilder(shape)
    cap = CAP[rank]
    t = "t0"
    for _ in range(draw(st.integers(1, 9))):
        here = b.shapes[t]
        if len(here) == 1:
            op = draw(st.sampled_from(["Linear", "BatchNorm1d", "ReLU"]))
            args = {"in_features": here[0], "out_features": draw(st.integers(1, 12))} \
                if op == "Linear" else {"num_features": here[0]} if op == "BatchNorm1d" else {}
            t = b.call(op, args, (t,), cap) or t
            continue
        block = draw(st.sampled_from(["layer", "layer", "layer", "residual", "flatten"]))
        if block == "residual":
            t = draw_residual(draw, b, t, cap) or t
        elif block == "flatten":
            t = b.call("Flatten", {}, (t,), cap) or t
        else:
            t = b.call(*draw_torch_layer(draw, here), (t,), cap) or t
    if not b.spec["calls"]:
        b.call("ReLU", {}, ("t0",), cap)
    return b.finish()


def _branch(draw, b, t, cap, shared=()):
    for _ in range(draw(st.integers(0, 3))):
        reusable = [l for l in shared if _reusable(b, l, t)]
        if reusable and draw(st.booleans()):
            layer = draw(st.sampled_from(reusable))
            op, args = b.layers[layer]
            t = b.call(op, args, (t,), cap, layer=layer) or t
        else:
            t = b.call(*draw_torch_layer(draw, b.shapes[t]), (t,), cap) or t
    return t


def _reusable(b, layer, t):
    op, args = b.layers[layer]
    shape = b.shapes[t]
    if op[-2:] in ("1d", "2d", "3d") and op[-2] != str(len(shape) - 1):
        return False
    if op.startswith(NO_WEIGHTS):
        return True
    if op == "Linear":
        return shape[-1] == args["in_features"]
    key = args.get("in_channels", args.get("num_features", args.get("num_channels")))
    return shape[0] == key


def draw_residual(draw, b, t, cap):
    """Two branches from ``t``, cropped (negative zero-padding) or resized to meet, then
    summed or concatenated along the channels (ResNet, DenseNet, U-Net style)."""
    before = set(b.layers)
    left = _branch(draw, b, t, cap)
    right = _branch(draw, b, t, cap, shared=sorted(set(b.layers) - before))
    if len(b.shapes[left]) != len(b.shapes[right]):
        return None
    rank = len(b.shapes[left]) - 1
    # the last axis: a Linear maps the right branch's length onto the left's
    if b.shapes[left][-1] != b.shapes[right][-1]:
        right = b.call("Linear", {"in_features": b.shapes[right][-1],
                                  "out_features": b.shapes[left][-1]}, (right,), cap)
        if right is None:
            return None
    # the other spatial axes: crop whichever branch is larger
    if rank >= 2:
        tensors = [left, right]
        for side in (0, 1):
            mine, theirs = b.shapes[tensors[side]], b.shapes[tensors[1 - side]]
            excess = [max(0, m - o) for m, o in zip(mine[1:-1], theirs[1:-1])]
            if any(excess):
                amounts = [0, 0]  # the last axis is already equal
                for e in reversed(excess):
                    a = draw(st.integers(0, e))
                    amounts += [-a, -(e - a)]
                tensors[side] = b.call(f"ZeroPad{rank}d", {"padding": tuple(amounts)},
                                       (tensors[side],), cap)
                if tensors[side] is None:
                    return None
        left, right = tensors
    if draw(st.booleans()):
        return b.call("cat", {}, (left, right), cap)
    if b.shapes[left][0] != b.shapes[right][0]:
        right = b.call(f"Conv{rank}d", {"in_channels": b.shapes[right][0],
                                        "out_channels": b.shapes[left][0], "kernel_size": 1},
                       (right,), cap)
        if right is None:
            return None
    return b.call("add", {}, (left, right), cap)


# ------------------------------------------------------------------------- torch side


def build_torch(spec):
    """An ``nn.Module`` running the spec; ``forward`` returns every tensor by name."""
    import torch
    from torch import nn

    class SpecModule(nn.Module):
        def __init__(self):
            super().__init__()
            self.mods = nn.ModuleDict()
            for out, layer, op, args, inputs in spec["calls"]:
                if op not in (None, "add", "cat"):
                    self.mods[layer] = getattr(nn, op)(**args)

        def forward(self, x):
            tensors = {"t0": x}
            for out, layer, op, args, inputs in spec["calls"]:
                ins = [tensors[t] for t in inputs]
                if op == "add":
                    tensors[out] = ins[0] + ins[1]
                elif op == "cat":
                    tensors[out] = torch.cat(ins, dim=1)
                else:
                    tensors[out] = self.mods[layer](ins[0])
            return tensors

    return SpecModule()


def torch_facts(spec):
    """Shapes of a real forward pass and parameter counts, keyed like symcnn's."""
    import torch

    module = build_torch(spec).eval()
    with torch.no_grad():
        tensors = module(torch.zeros(2, *spec["input"]))  # GroupNorm needs 2+ values
    return {
        "forward": {n: tuple(t.shape[1:]) for n, t in tensors.items() if n != "t0"},
        "layers": {name: sum(p.numel() for p in m.parameters()) for name, m in module.mods.items()},
        "total": sum(p.numel() for p in module.parameters()),
    }


def to_symcnn(op, args):
    """The symcnn layer a PyTorch user would write for ``torch.nn.<op>(**args)``."""
    cf = {"data_format": "channels_first"}
    rank = {"1d": 1, "2d": 2, "3d": 3}.get(op[-2:], 0)
    r = f"{rank}D"
    if op == "add":
        return "Add", {}
    if op == "cat":
        return "Concatenate", {"axis": 1}
    if op == "ReLU":
        return "ReLU", {}
    if op == "Flatten":
        return "Flatten", {}
    if op == "Linear":
        return "Dense", {"units": args["out_features"], "use_bias": args.get("bias", True)}
    if op.startswith("BatchNorm"):
        return "BatchNormalization", {"axis": 1}
    if op == "GroupNorm":
        return "GroupNormalization", {"groups": args["num_groups"], "axis": 1}
    if op == "Upsample":
        factors = args["scale_factor"]
        return f"UpSampling{len(factors)}D", {"size": factors, **cf}
    if op.startswith("ZeroPad"):
        flat = args["padding"]
        pairs = [(flat[2 * k], flat[2 * k + 1]) for k in range(len(flat) // 2)][::-1]
        if all(a <= 0 and b <= 0 for a, b in pairs) and any(a or b for a, b in pairs):
            return f"Cropping{r}", {"cropping": tuple((-a, -b) for a, b in pairs), **cf}
        return f"ZeroPadding{r}", {"padding": tuple(pairs), **cf}
    if op.startswith("Adaptive"):
        kind = "AdaptiveAveragePooling" if "Avg" in op else "AdaptiveMaxPooling"
        return f"{kind}{r}", {"output_size": args["output_size"], **cf}
    if op.startswith("MaxPool") and any(d != 1 for d in per_axis(args.get("dilation", 1),
                                                                   rank)):
        return f"nn.{op}", dict(args)  # Keras' pooling has no dilation: symcnn's nn module
    if op.startswith(("MaxPool", "AvgPool")):
        kind = "MaxPooling" if op.startswith("Max") else "AveragePooling"
        out = {"pool_size": args["kernel_size"], "strides": args.get("stride") or None,
               "padding": args.get("padding", 0), **cf}
        if args.get("ceil_mode"):
            out["ceil_mode"] = True
        return f"{kind}{r}", out
    padding = args.get("padding", 0)
    if padding == "same" and isinstance(args["kernel_size"], tuple):
        # the amounts PyTorch pads for 'same' (stride 1): d*(k - 1) split, the extra one right;
        # an int kernel keeps padding='same' so both spellings are checked
        padding = tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in
                        zip(args["kernel_size"], per_axis(args.get("dilation", 1), rank)))
    conv = {"filters": args["out_channels"], "kernel_size": args["kernel_size"],
            "strides": args.get("stride", 1), "padding": padding,
            "dilation_rate": args.get("dilation", 1), "groups": args.get("groups", 1),
            "use_bias": args.get("bias", True), **cf}
    if op.startswith("ConvTranspose"):
        conv["output_padding"] = args.get("output_padding", 0)
        return f"Conv{r}Transpose", conv
    return f"Conv{r}", conv


# ---------------------------------------------------------------------- comparisons


def torch_code(spec):
    """The PyTorch side of a failure report: the modules as a user would write them."""
    lines = ["# torch.nn modules (forward: calls in order; add = a + b, cat = torch.cat(dim=1))"]
    for out, layer, op, args, inputs in spec["calls"]:
        what = f"nn.{op}({', '.join(f'{k}={v!r}' for k, v in args.items())})" if op else layer
        lines.append(f"# {out} = {what}({', '.join(inputs)})")
    return "\n".join(lines)


def torch_disagreements(spec):
    """Every difference between ``torch.nn`` and symcnn on ``spec`` (empty when they agree):
    shapes of a real forward pass, parameter numel per module and in total."""
    facts, errors = refusal("PyTorch", lambda: torch_facts(spec))
    if errors:
        return errors
    built, errors = refusal("symcnn", lambda: run_symcnn(spec, translate=to_symcnn))
    if errors:
        return errors
    model, shapes, records = built
    errors = []
    for out, layer, op, _, _ in spec["calls"]:
        if tuple(shapes[out]) != facts["forward"][out]:
            errors.append(f"{out} = {layer}({op or 'shared'}): output shape symcnn {shapes[out]}, "
                          f"torch {facts['forward'][out]}")
    for layer, numel in facts["layers"].items():
        if records[layer].trainable_params != numel:
            errors.append(f"{layer}: parameters symcnn {records[layer].trainable_params}, "
                          f"torch {numel}")
    if model.trainable_params != facts["total"]:
        errors.append(f"model: trainable_params {model.trainable_params}, torch parameters() "
                      f"numel {facts['total']}")
    return errors


def torch_symbolic_disagreements(spec):
    """:func:`build.symbolic_disagreements` for a PyTorch spec."""
    return symbolic_disagreements(spec, translate=to_symcnn)
