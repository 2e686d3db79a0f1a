"""A hypothesis strategy for random symcnn models covering every layer family.

Layers are drawn one at a time and applied in the functional style; a drawn layer that the
current shape cannot take (symcnn raises a SymcnnError) is skipped, so every drawn model is
valid. Input sizes are numbers or the symbols ``H``, ``W`` (and ``D`` for 3D).

``exports=True`` also draws what the bridges write as several framework operations: Keras'
``ReLU`` with ``max_value``, ``threshold`` and ``negative_slope``, every Keras activation
name both exports write, ``Elementwise`` maximum and minimum with a constant, ``Maximum`` and
``Minimum`` merges, and (on sequences) an ``LSTM`` without bias, reading forwards or
backwards.
"""

from __future__ import annotations

import sympy
from hypothesis import strategies as st

import symcnn as sc

H, W, D = sc.symbols("H W D")
SPATIAL_SYMBOLS = {1: (W,), 2: (H, W), 3: (D, H, W)}


def _padding(draw, rank, kernel, allow_explicit=True, pooling=False):
    kind = draw(st.sampled_from(["valid", "same", "explicit", "pairs"] if allow_explicit
                                else ["valid", "same"]))
    if kind in ("valid", "same"):
        return kind
    top = min(kernel) // 2 if pooling else 2
    if kind == "explicit":
        return draw(st.integers(0, top))
    return tuple((draw(st.integers(0, top)), draw(st.integers(0, top))) for _ in range(rank))


def _kernel(draw, rank, top=4):
    return tuple(draw(st.integers(1, top)) for _ in range(rank))


#: Keras activation names that ``to_torch`` and ``to_keras`` both write.
EXPORTED_ACTIVATIONS = ("relu", "sigmoid", "tanh", "gelu", "silu", "elu", "selu", "softplus",
                        "softsign", "relu6", "mish", "hard_sigmoid", "hard_swish", "exponential",
                        "log_sigmoid", "tanh_shrink", "soft_shrink", "hard_shrink",
                        "squareplus", "sparse_plus", "sparse_sigmoid", "linear")


def _exported_layer(draw, rank, family):
    """A layer of the families ``exports=True`` adds (see the module's docstring)."""
    if family == "relu":
        max_value = draw(st.sampled_from([None, 0.0, 2.5, 6.0]))
        threshold = draw(st.sampled_from([0.0, 0.0, 0.5, 1.0]))
        return sc.ReLU(max_value=max_value, threshold=threshold,
                       negative_slope=draw(st.sampled_from([0.0, 0.0, 0.1])))
    if family == "activation":
        return sc.Activation(draw(st.sampled_from(EXPORTED_ACTIVATIONS)))
    if family == "elementwise":
        return sc.Elementwise(draw(st.sampled_from(["maximum", "minimum"])),
                              draw(st.sampled_from([-0.5, 0.0, 0.5, 2.0])))
    if family == "recurrent" and rank == 1:
        return sc.LSTM(draw(st.integers(1, 4)), use_bias=False, return_sequences=True,
                       go_backwards=draw(st.booleans()))
    return family if family in ("maximum", "minimum") else sc.Identity()


def _layer(draw, rank, channels, exports=False):
    """One layer for an input of ``rank`` spatial axes and ``channels`` channels."""
    family = draw(st.sampled_from([
        "conv", "conv", "depthwise", "separable", "transpose", "pool", "pool", "norm",
        "pad", "crop", "upsample", "identity", "residual", "concat", "frozen",
    ] + (["relu", "relu", "activation", "activation", "elementwise", "maximum", "minimum",
          "recurrent"] if exports else [])))
    if family in ("relu", "activation", "elementwise", "maximum", "minimum", "recurrent"):
        return _exported_layer(draw, rank, family)
    suffix = f"{rank}D"
    k = _kernel(draw, rank)
    s = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    d = tuple(draw(st.integers(1, 2)) for _ in range(rank))
    bias = draw(st.booleans())
    if family in ("conv", "frozen"):
        groups = draw(st.sampled_from([g for g in (1, 2, 3) if channels % g == 0]))
        filters = groups * draw(st.integers(1, 4))
        padding = draw(st.sampled_from(["valid", "same", "causal"])) if rank == 1 else \
            _padding(draw, rank, k)
        if any(x > 1 for x in d) and any(x > 1 for x in s):
            s = (1,) * rank  # Keras refuses strides > 1 with dilation > 1
        return getattr(sc, f"Conv{suffix}")(filters, k, strides=s, padding=padding,
                                            dilation_rate=d, groups=groups, use_bias=bias,
                                            trainable=family != "frozen")
    if family == "depthwise" and rank < 3:
        return getattr(sc, f"DepthwiseConv{suffix}")(
            k, strides=s, padding=_padding(draw, rank, k), use_bias=bias,
            depth_multiplier=draw(st.integers(1, 2)))
    if family == "separable" and rank < 3:
        return getattr(sc, f"SeparableConv{suffix}")(
            draw(st.integers(1, 6)), k, strides=s, padding=draw(st.sampled_from(["valid", "same"])),
            use_bias=bias, depth_multiplier=draw(st.integers(1, 2)))
    if family == "transpose":
        explicit = draw(st.booleans())
        padding = _padding(draw, rank, k) if explicit else draw(st.sampled_from(["valid", "same"]))
        if padding == "same" and explicit:
            padding = 1
        output_padding = None
        if draw(st.booleans()):
            output_padding = tuple(draw(st.integers(0, x - 1)) for x in s)
        return getattr(sc, f"Conv{suffix}Transpose")(
            draw(st.integers(1, 6)), k, strides=s, padding=padding,
            output_padding=output_padding, use_bias=bias)
    if family == "pool":
        kind = draw(st.sampled_from(["Max", "Average"]))
        strides = None if draw(st.booleans()) else s
        padding = _padding(draw, rank, k, pooling=True)
        ceil_mode = padding != "same" and draw(st.booleans())
        return getattr(sc, f"{kind}Pooling{suffix}")(k, strides=strides, padding=padding,
                                                     ceil_mode=ceil_mode)
    if family == "norm":
        choice = draw(st.sampled_from(["batch", "layer", "group"]))
        center, scale = draw(st.booleans()), draw(st.booleans())
        if choice == "batch":
            return sc.BatchNormalization(center=center, scale=scale)
        if choice == "layer":
            return sc.LayerNormalization(center=center, scale=scale)
        groups = draw(st.sampled_from([g for g in (1, 2, 4) if channels % g == 0]))
        return sc.GroupNormalization(groups=groups, center=center, scale=scale)
    if family == "pad":
        return getattr(sc, f"ZeroPadding{suffix}")(
            tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(rank))
            if rank > 1 and draw(st.booleans()) else draw(st.integers(0, 2)))
    if family == "crop":
        return getattr(sc, f"Cropping{suffix}")(
            tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(rank))
            if rank > 1 else (draw(st.integers(0, 2)), draw(st.integers(0, 2))))
    if family == "upsample":
        return getattr(sc, f"UpSampling{suffix}")(draw(st.integers(1, 3)))
    if family in ("residual", "concat"):
        return family
    return draw(st.sampled_from([sc.Activation("relu"), sc.Dropout(0.5), sc.ReLU()]))


@st.composite
def random_models(draw, symbolic=None, max_layers=6, exports=False):
    """A valid random model (functional), with numeric or symbolic spatial sizes; with
    ``exports``, of the layers the bridges write as several operations too."""
    rank = draw(st.sampled_from([1, 2, 2, 2, 3]))
    symbolic = draw(st.booleans()) if symbolic is None else symbolic
    channels = draw(st.integers(1, 8))
    if symbolic:
        spatial = SPATIAL_SYMBOLS[rank]
    else:
        spatial = tuple(draw(st.integers(1, 40 if rank < 3 else 12)) for _ in range(rank))
    x = inputs = sc.Input((*spatial, channels))
    for _ in range(draw(st.integers(1, max_layers))):
        try:
            layer = _layer(draw, rank, int(x.shape[-1]) if x.shape[-1].is_Integer else 1,
                           exports)
            if layer == "residual":
                y = getattr(sc, f"Conv{rank}D")(x.shape[-1], draw(st.integers(1, 3)),
                                                padding="same")(x)
                x = sc.Add()([x, y])
            elif layer == "concat":
                y = getattr(sc, f"Conv{rank}D")(draw(st.integers(1, 4)), 1)(x)
                x = sc.Concatenate()([x, y])
            elif layer in ("maximum", "minimum"):
                y = getattr(sc, f"Conv{rank}D")(x.shape[-1], 1)(x)
                x = getattr(sc, layer.capitalize())()([x, y])
            else:
                x = layer(x)
        except sc.SymcnnError:
            continue
    tail = draw(st.sampled_from(["none", "flatten", "global", "reshape", "permute"]))
    try:
        if tail == "flatten":
            x = sc.Dense(draw(st.integers(1, 5)), use_bias=draw(st.booleans()))(sc.Flatten()(x))
        elif tail == "global":
            pool = getattr(sc, f"Global{draw(st.sampled_from(['Max', 'Average']))}Pooling{rank}D")
            x = sc.Dense(draw(st.integers(1, 5)))(pool(keepdims=draw(st.booleans()))(x))
        elif tail == "reshape":
            x = sc.Reshape((-1, x.shape[-1]))(x)
        elif tail == "permute":
            x = sc.Permute(tuple(range(len(x.shape), 0, -1)))(x)
    except sc.SymcnnError:
        pass
    return sc.Model(inputs, x)


def sample_points(model, count=4, low=30, high=300):
    """Up to ``count`` substitutions of integers for the model's symbols that satisfy its
    constraints (deterministic: spread over ``[low, high]``)."""
    symbols = sorted(model.free_symbols, key=lambda s: s.name)
    if not symbols:
        return [{}]
    points = []
    for i in range(count * 8):
        point = {s: sympy.Integer(low + (i * 37 + j * 11) % (high - low))
                 for j, s in enumerate(symbols)}
        if all(bool(c.xreplace(point)) for c in model.constraints):
            points.append(point)
        if len(points) == count:
            break
    return points


def at(expr, point) -> sympy.Expr:
    """``expr`` with ``point`` substituted and evaluated."""
    return sympy.sympify(expr).xreplace(point).doit()
