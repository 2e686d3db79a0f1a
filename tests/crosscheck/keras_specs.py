"""Random valid Keras models as neutral specs (hypothesis strategies).

A spec is plain data, so ``repr(spec)`` pastes into a test::

    {"input": (9, 7, 3), "sequential": False, "outputs": ("t3",),
     "calls": [("t1", "l1", "Conv2D", {"filters": 4, "kernel_size": 3}, ("t0",)),
               ("t2", "l2", "MaxPooling2D", {"pool_size": 2}, ("t1",)),
               ("t3", "l1", None, None, ("t2",))]}

Each call is ``(output, layer_name, class_name, kwargs, inputs)``; a call whose class is
``None`` calls the already created layer ``layer_name`` again (a shared layer). Class names
and kwargs are Keras 3's, which symcnn mirrors; each side builds its model from the spec on
its own (``build.py``), so the two builders share no arithmetic. Shapes are tracked while
drawing by the independent brute-force tracker in ``shapes.py``.
"""

from __future__ import annotations

from hypothesis import strategies as st

from .shapes import Invalid, keras_shape, keras_weight_key, per_axis, split

CF, CL = "channels_first", "channels_last"
MERGES = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate")
#: Spatial sizes by spatial rank, and the largest any axis may grow to.
SIZES = {1: (1, 40), 2: (1, 23), 3: (1, 8)}
CAP = {1: 80, 2: 40, 3: 16}
MAX_ELEMENTS = 20000


class SpecBuilder:
    """Accumulates calls while tracking shapes; invalid layers are dropped, not added."""

    def __init__(self, input_shape, sequential):
        self.spec = {"input": tuple(input_shape), "sequential": sequential, "outputs": (),
                     "calls": []}
        self.shapes = {"t0": tuple(input_shape)}
        self.layers = {}  # name -> (cls, args, weight key)

    def call(self, cls, args, inputs, cap):
        """Add ``cls(**args)`` on ``inputs``; the new tensor's name, or None if invalid."""
        shapes = [self.shapes[t] for t in inputs]
        try:
            out = keras_shape(cls, args, shapes)
        except Invalid:
            return None
        if _too_big(out, cap):
            return None
        n = len(self.spec["calls"]) + 1
        name, layer = f"t{n}", f"l{n}"
        self.spec["calls"].append((name, layer, cls, dict(args), tuple(inputs)))
        self.shapes[name] = out
        if len(inputs) == 1:
            self.layers[layer] = (cls, args, keras_weight_key(cls, args, shapes[0]))
        return name

    def reuse(self, layer, inputs, cap):
        """Call the existing layer ``layer`` again; the new tensor's name, or None."""
        cls, args, _ = self.layers[layer]
        try:
            out = keras_shape(cls, args, [self.shapes[inputs[0]]])
        except Invalid:
            return None
        if _too_big(out, cap):
            return None
        name = f"t{len(self.spec['calls']) + 1}"
        self.spec["calls"].append((name, layer, None, None, tuple(inputs)))
        self.shapes[name] = out
        return name

    def shareable(self, tensor):
        """Layers that may be called again on ``tensor`` (same weight key)."""
        shape = self.shapes[tensor]
        out = []
        for layer, (cls, args, key) in self.layers.items():
            try:
                if keras_weight_key(cls, args, shape) == key:
                    out.append(layer)
            except Invalid:
                pass
        return out


def _too_big(shape, cap):
    return any(d > cap for d in shape) or _prod(shape) > MAX_ELEMENTS


def _prod(shape):
    out = 1
    for d in shape:
        out *= d
    return out


# ------------------------------------------------------------------------ argument draws


def axes(draw, rank, lo, hi):
    """One int or a tuple of ``rank`` ints (both forms are valid Keras arguments)."""
    values = tuple(draw(st.integers(lo, hi)) for _ in range(rank))
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return values


def divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


def frozen(draw, args):
    if draw(st.integers(0, 9)) == 0:
        args["trainable"] = False
    return args


def draw_spatial_layer(draw, shape, fmt):
    """``(cls, args)`` for a layer that keeps the rank of a (spatial, channels) tensor."""
    rank = len(shape) - 1
    r = f"{rank}D"
    spatial, channels = split(shape, fmt)
    kinds = ["conv", "conv", "pool", "transpose", "norm", "pad", "crop", "up", "dense",
             "adaptive"]
    if rank <= 2:
        kinds += ["depthwise", "separable"]
    kind = draw(st.sampled_from(kinds))
    if kind in ("crop", "up") and rank == 1 and fmt == CF:
        kind = "pad"  # Keras' Cropping1D and UpSampling1D are channels_last only
    fmt_arg = {} if (rank == 1 and kind in ("crop", "up")) else {"data_format": fmt}
    if kind in ("conv", "depthwise", "separable"):
        causal = rank == 1 and fmt == CL and kind == "conv"
        padding = draw(st.sampled_from(["valid", "same"] + (["causal"] if causal else [])))
        top = min(6, max(spatial)) if padding == "valid" else 6
        args = {"kernel_size": axes(draw, rank, 1, top)}
        if draw(st.booleans()):  # Keras refuses strides > 1 together with dilation > 1
            args["strides"] = axes(draw, rank, 1, 4)
        else:
            args["dilation_rate"] = axes(draw, rank, 1, 3)
        args["padding"] = padding
        args["use_bias"] = draw(st.booleans())
        if kind == "conv":
            groups = draw(st.sampled_from(divisors(channels)))
            args["filters"] = groups * draw(st.integers(1, 3 if groups > 1 else 8))
            if groups > 1:
                args["groups"] = groups
            cls = f"Conv{r}"
        else:
            cls = f"DepthwiseConv{r}" if kind == "depthwise" else f"SeparableConv{r}"
            args["depth_multiplier"] = draw(st.integers(1, 3))
            if kind == "separable":
                args["filters"] = draw(st.integers(1, 8))
        return cls, frozen(draw, {**args, **fmt_arg})
    if kind == "transpose":
        args = {"filters": draw(st.integers(1, 6)), "kernel_size": axes(draw, rank, 1, 4),
                "padding": draw(st.sampled_from(["valid", "same"])),
                "use_bias": draw(st.booleans())}
        if draw(st.booleans()):
            strides = axes(draw, rank, 1, 3)
            args["strides"] = strides
            if draw(st.booleans()):
                s = strides if isinstance(strides, tuple) else (strides,) * rank
                args["output_padding"] = tuple(draw(st.integers(0, x - 1)) for x in s)
        else:
            args["dilation_rate"] = axes(draw, rank, 1, 3)
        return f"Conv{r}Transpose", frozen(draw, {**args, **fmt_arg})
    if kind == "pool":
        padding = draw(st.sampled_from(["valid", "same"]))
        top = min(5, max(spatial)) if padding == "valid" else 5
        args = {"pool_size": axes(draw, rank, 1, top), "padding": padding}
        if draw(st.booleans()):
            args["strides"] = axes(draw, rank, 1, 4)
        cls = draw(st.sampled_from(["MaxPooling", "AveragePooling"]))
        if cls == "AveragePooling" and rank == 3 and padding == "same":
            # Keras' torch backend fails at run time on a 3D 'same' average pool larger
            # than its input (its declared shape is right); keep the window inside
            pool = per_axis(args["pool_size"], rank)
            args["pool_size"] = tuple(min(k, i) for k, i in zip(pool, spatial))
        return f"{cls}{r}", {**args, **fmt_arg}
    if kind == "adaptive":
        cls = draw(st.sampled_from(["AdaptiveAveragePooling", "AdaptiveMaxPooling"]))
        return f"{cls}{r}", {"output_size": axes(draw, rank, 1, 6), **fmt_arg}
    if kind == "norm":
        channel_axis = 1 if fmt == CF else -1
        which = draw(st.sampled_from(["BatchNormalization", "LayerNormalization",
                                      "GroupNormalization"]))
        args = {"center": draw(st.booleans()), "scale": draw(st.booleans())}
        if which == "GroupNormalization":
            args.update(groups=draw(st.sampled_from(divisors(channels))), axis=channel_axis)
        elif which == "BatchNormalization":
            args["axis"] = draw(st.sampled_from(
                [channel_axis, channel_axis, *range(1, rank + 2), *range(-rank - 1, 0)]))
        else:
            # Keras' torch backend runs LayerNormalization on trailing axes only
            args["axis"] = draw(st.sampled_from([-1, [-2, -1], tuple(range(1, rank + 2))]))
        return which, frozen(draw, args)
    if kind == "dense":
        return "Dense", frozen(draw, {"units": draw(st.integers(1, 8)),
                                      "use_bias": draw(st.booleans())})
    pairs = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(rank))
    if kind == "pad":
        value = pairs[0] if rank == 1 else pairs
        if draw(st.booleans()):
            value = draw(st.integers(0, 2))
        return f"ZeroPadding{r}", {"padding": value, **fmt_arg}
    if kind == "crop":
        pairs = tuple((min(a, (i - 1) // 2), min(b, (i - 1) // 2))
                      for (a, b), i in zip(pairs, spatial))
        return f"Cropping{r}", {"cropping": pairs[0] if rank == 1 else pairs, **fmt_arg}
    size = draw(st.integers(1, 3)) if rank == 1 else axes(draw, rank, 1, 3)  # Keras: an int
    return f"UpSampling{r}", {"size": size, **fmt_arg}


def draw_reshaping_layer(draw, shape, fmt):
    """``(cls, args)`` for a layer that may change the rank: Flatten, Reshape, Permute and
    global pooling."""
    rank = len(shape)
    kinds = ["flatten", "reshape", "permute"] if rank > 1 else ["reshape"]
    kind = draw(st.sampled_from(kinds + (["global"] if 2 <= rank <= 4 else [])))
    if kind == "flatten":
        return "Flatten", {}
    if kind == "global":
        cls = draw(st.sampled_from(["GlobalMaxPooling", "GlobalAveragePooling"]))
        return f"{cls}{rank - 1}D", {"keepdims": draw(st.booleans()), "data_format": fmt}
    if kind == "permute":
        order = draw(st.permutations(range(1, rank + 1)))
        return "Permute", {"dims": tuple(order)}
    dims = list(shape)
    how = draw(st.sampled_from(["merge", "split"] if rank > 1 else ["split"]))
    if how == "merge" or rank >= 4:
        j = draw(st.integers(0, rank - 2))
        dims[j:j + 2] = [dims[j] * dims[j + 1]]
    else:
        j = draw(st.integers(0, rank - 1))
        factor = draw(st.sampled_from(divisors(dims[j])))
        dims[j:j + 1] = [factor, dims[j] // factor]
    if draw(st.booleans()):
        dims[draw(st.integers(0, len(dims) - 1))] = -1
    return "Reshape", {"target_shape": tuple(dims)}


# ------------------------------------------------------------------------------ models


@st.composite
def keras_models(draw, sequential=None):
    """A random valid model over the Keras layer catalogue, as a neutral spec."""
    rank = draw(st.sampled_from([1, 2, 2, 2, 3]))
    fmt = draw(st.sampled_from([CL, CL, CF]))
    lo, hi = SIZES[rank]
    spatial = [draw(st.integers(lo, hi)) for _ in range(rank)]
    channels = draw(st.integers(1, 6))
    shape = (channels, *spatial) if fmt == CF else (*spatial, channels)
    if sequential is None:
        sequential = draw(st.booleans())
    b = SpecBuilder(shape, sequential)
    cap = CAP[rank]
    t = "t0"
    for _ in range(draw(st.integers(1, 9))):
        here = b.shapes[t]
        spatial_ok = 2 <= len(here) <= 4
        # the data format of each layer: mostly the model's, sometimes the other one
        f = draw(st.sampled_from([fmt, fmt, fmt, CF if fmt == CL else CL]))
        block = "layer"
        if not sequential and spatial_ok:
            block = draw(st.sampled_from(["layer", "layer", "branch", "squeeze", "branch"]))
        if block == "branch":
            t = draw_branches(draw, b, t, f, cap) or t
        elif block == "squeeze":
            t = draw_squeeze_excite(draw, b, t, f, cap) or t
        elif spatial_ok and draw(st.integers(0, 4)):
            t = b.call(*draw_spatial_layer(draw, here, f), (t,), cap) or t
        elif len(here) == 1 and draw(st.booleans()):
            cls = draw(st.sampled_from(["Dense", "BatchNormalization", "LayerNormalization",
                                        "Dropout"]))
            args = {"units": draw(st.integers(1, 12))} if cls == "Dense" else \
                {"rate": 0.5} if cls == "Dropout" else {}
            t = b.call(cls, args, (t,), cap) or t
        else:
            t = b.call(*draw_reshaping_layer(draw, here, f), (t,), cap) or t
    if not b.spec["calls"]:
        b.call("Activation", {"activation": "relu"}, ("t0",), cap)
    # every tensor no call consumes is an output (a branch whose merge was dropped, too)
    consumed = {t for call in b.spec["calls"] for t in call[4]}
    b.spec["outputs"] = tuple(c[0] for c in b.spec["calls"] if c[0] not in consumed)
    return b.spec


def draw_branch(draw, b, t, fmt, cap, shared=()):
    """A short chain of rank-preserving layers from ``t``; may call a shared layer."""
    for _ in range(draw(st.integers(0, 3))):
        candidates = [layer for layer in shared if layer in b.shareable(t)]
        if candidates and draw(st.booleans()):
            t = b.reuse(draw(st.sampled_from(candidates)), (t,), cap) or t
            continue
        cls, args = draw_spatial_layer(draw, b.shapes[t], fmt)
        t = b.call(cls, args, (t,), cap) or t
    return t


def draw_branches(draw, b, t, fmt, cap):
    """Two branches from ``t`` that are cropped to meet and merged (U-Net and ResNet style)."""
    before = set(b.layers)
    left = draw_branch(draw, b, t, fmt, cap)
    right = draw_branch(draw, b, t, fmt, cap, shared=sorted(set(b.layers) - before))
    shape_l, shape_r = b.shapes[left], b.shapes[right]
    if len(shape_l) != len(shape_r):
        return None
    rank = len(shape_l) - 1
    # crop each branch on the spatial axes (channels_last view) where it is the larger one
    for side, other in ((0, 1), (1, 0)):
        tensors = [left, right]
        mine, theirs = b.shapes[tensors[side]], b.shapes[tensors[other]]
        excess = [max(0, m - o) for m, o in zip(mine[:-1], theirs[:-1])]
        if any(excess):
            before_crop = [(e - (c := draw(st.integers(0, e))), c) for e in excess]
            cropping = before_crop[0] if rank == 1 else tuple(before_crop)
            cropped = b.call(f"Cropping{rank}D", {"cropping": cropping}, (tensors[side],), cap)
            if cropped is None:
                return None
            if side == 0:
                left = cropped
            else:
                right = cropped
    last_l, last_r = b.shapes[left][-1], b.shapes[right][-1]
    merge = draw(st.sampled_from(MERGES))
    if last_l != last_r and merge != "Concatenate":
        right = b.call("Dense", {"units": last_l}, (right,), cap) or right
    args = {}
    if merge == "Concatenate":
        args["axis"] = draw(st.sampled_from([-1, rank + 1]))
    elif draw(st.integers(0, 3)) == 0 and merge != "Subtract" and len(
            {b.shapes[left], b.shapes[right], b.shapes[t]}) == 1:
        # no broadcasting by accident (a size that happens to be 1 at these input sizes)
        return b.call(merge, args, (left, right, t), cap)
    return b.call(merge, args, (left, right), cap)


def draw_squeeze_excite(draw, b, t, fmt, cap):
    """Squeeze-and-excitation: a pooled (1, ..., 1, C) gate broadcast over ``t``."""
    shape = b.shapes[t]
    rank = len(shape) - 1
    _, channels = split(shape, fmt)
    gate = b.call(f"GlobalAveragePooling{rank}D", {"keepdims": True, "data_format": fmt},
                  (t,), cap)
    if gate is None:
        return None
    hidden = draw(st.integers(1, 4))
    for units in (hidden, channels):
        if fmt == CL:
            gate = b.call("Dense", {"units": units}, (gate,), cap)
        else:
            gate = b.call(f"Conv{rank}D", {"filters": units, "kernel_size": 1,
                                            "data_format": fmt}, (gate,), cap)
        if gate is None:
            return None
    return b.call(draw(st.sampled_from(["Multiply", "Add"])), {}, (t, gate), cap)
