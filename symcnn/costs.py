"""Compute costs as closed forms: MACs, FLOPs, activation elements and parameter bytes.

Conventions (docs/costs.md explains them and how other tools differ):

- **MACs** (multiply-accumulates) are the products of weights with inputs in convolution and
  Dense layers, each multiplication with its accumulation counted once, padding zeros
  included. Every other layer has 0 MACs: comparisons (max pooling), additions (average
  pooling, ``Add``, bias) and BatchNormalization (folded into the preceding convolution at
  inference) are not multiply-accumulates. A shared layer's MACs count every call.
- **FLOPs** are ``2 * MACs`` by default (``convention="2mac"``, as PyTorch's
  ``FlopCounterMode``). ``"mac"`` counts one per MAC (fvcore, and the "FLOPs" of many papers);
  ``"ptflops"`` adds what ptflops' module hooks add (bias, BatchNorm, activations, pooling).
- **Activation elements** are the elements of every layer output, one output per call.

>>> import symcnn as sc
>>> H, W = sc.symbols("H W")
>>> m = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 3, padding="same"), sc.ReLU()])
>>> m.macs, m.flops
(216*H*W, 432*H*W)
>>> flops(m, "ptflops")      # + one bias add and one ReLU per output element
232*H*W
>>> m.param_bytes("float16"), m.layers[0].activation_elements
(448, 8*H*W)
"""

from __future__ import annotations

from typing import Callable

import sympy

from .errors import CostError
from .formulas import prod

__all__ = [
    "conv_macs", "conv_transpose_macs", "depthwise_conv_macs", "separable_conv_macs",
    "dense_macs", "elements", "dtype_bytes", "FLOP_CONVENTIONS", "macs", "flops",
    "activation_elements", "activation_bytes", "param_bytes", "node_macs", "node_flops",
    "inner_model",
]

ZERO = sympy.Integer(0)


# ----------------------------------------------------------------------------- formulas


def conv_macs(out_spatial, in_channels, kernel, filters, groups=1) -> sympy.Expr:
    """Convolution: ``prod(out_spatial) * filters * (C_in/groups) * prod(kernel)``.

    One MAC per weight per output position (the window slides over the padded input, so
    products with padding zeros count, as every tool counts them).

    >>> conv_macs((32, 32), 3, (3, 3), 64)
    1769472
    >>> conv_macs((13, 13), 96, (5, 5), 256, groups=2)   # AlexNet's two towers
    51916800
    """
    return sympy.expand(prod(out_spatial) * filters * sympy.sympify(in_channels) / groups
                        * prod(kernel))


def conv_transpose_macs(in_spatial, in_channels, kernel, filters, groups=1) -> sympy.Expr:
    """Transposed convolution: ``prod(in_spatial) * C_in * prod(kernel) * (filters/groups)``.

    Each input element is multiplied by every weight it meets (the scatter form), so the
    count follows the *input* positions, as in ``FlopCounterMode`` and ptflops. Products that
    land in the cropped padding count too.

    >>> conv_transpose_macs((4, 4), 16, (3, 3), 8)
    18432
    """
    return sympy.expand(prod(in_spatial) * in_channels * prod(kernel)
                        * sympy.sympify(filters) / groups)


def depthwise_conv_macs(out_spatial, channels, kernel, depth_multiplier=1) -> sympy.Expr:
    """Depthwise convolution: ``prod(out_spatial) * C * depth_multiplier * prod(kernel)``.

    >>> depthwise_conv_macs((8, 8), 32, (3, 3))
    18432
    """
    return sympy.expand(prod(out_spatial) * channels * depth_multiplier * prod(kernel))


def separable_conv_macs(out_spatial, channels, kernel, filters, depth_multiplier=1):
    """Separable convolution: depthwise ``P*C*m*prod(kernel)`` + pointwise ``P*C*m*filters``,
    ``P = prod(out_spatial)``.

    >>> separable_conv_macs((8, 8), 32, (3, 3), 64)
    149504
    """
    return sympy.expand(prod(out_spatial) * channels * depth_multiplier
                        * (prod(kernel) + filters))


def dense_macs(input_shape, units) -> sympy.Expr:
    """Dense on the last axis: ``prod(input_shape[:-1]) * in_features * units``.

    >>> dense_macs((160,), 10), dense_macs((4, 4, 128), 10)
    (1600, 20480)
    """
    return sympy.expand(prod(input_shape) * units)


def elements(shape) -> sympy.Expr:
    """Number of elements of a tensor of ``shape`` (no batch axis).

    >>> elements((7, 7, 3))
    147
    """
    return sympy.expand(prod(shape))


_DTYPE_BYTES = {
    "float64": 8, "double": 8, "int64": 8, "uint64": 8, "complex64": 8,
    "float32": 4, "float": 4, "int32": 4, "uint32": 4, "tfloat32": 4,
    "float16": 2, "half": 2, "bfloat16": 2, "int16": 2, "uint16": 2,
    "float8": 1, "float8_e4m3fn": 1, "float8_e5m2": 1, "int8": 1, "uint8": 1, "bool": 1,
}


def dtype_bytes(dtype) -> int:
    """Bytes per element of ``dtype``: a name (``"float16"``, ``"bfloat16"``, ``"int8"``...),
    a number of bytes, or an object with ``itemsize`` (a NumPy or PyTorch dtype).

    >>> dtype_bytes("float32"), dtype_bytes("bfloat16"), dtype_bytes(1)
    (4, 2, 1)
    """
    if isinstance(dtype, bool):
        pass
    elif isinstance(dtype, int) and dtype > 0:
        return dtype
    elif isinstance(dtype, str):
        key = dtype.lower().rsplit(".", 1)[-1]
        if key in _DTYPE_BYTES:
            return _DTYPE_BYTES[key]
    elif isinstance(getattr(dtype, "itemsize", None), int):
        return dtype.itemsize
    raise CostError(f"dtype must be a name such as 'float32', 'float16', 'bfloat16' or 'int8', "
                    f"a positive number of bytes, or a dtype with `itemsize`. "
                    f"Received: dtype={dtype!r}")


# ----------------------------------------------------------------------------- per node


def inner_model(node):
    """``(model, times)`` for a node that runs a nested model or a ``Repeat``, else None.

    The model is the nested one rebuilt on the node's input shapes when they differ.
    """
    from .model import Model

    layer = node.layer
    block, times = (layer, 1) if isinstance(layer, Model) else (getattr(layer, "block", None),
                                                               getattr(layer, "times", None))
    if not isinstance(block, Model):
        return None
    cache = _cache(block)
    key = ("inner", tuple(tuple(s) for s in node.input_shapes))
    if key not in cache:
        same = all(len(t.shape) == len(s) and all(a == b for a, b in zip(t.shape, s))
                   for t, s in zip(block.inputs, node.input_shapes))
        if same:
            cache[key] = block
        else:
            from .layers.core import Input
            cache[key] = block._replay([Input(tuple(s)) for s in node.input_shapes],
                                       lambda layer: layer)
    return cache[key], times


def _spatial(layer, shape):
    from .layers.spatial import split_channels

    return split_channels(shape, layer.data_format)


def node_macs(node) -> sympy.Expr:
    """MACs of one layer call (:class:`~symcnn.layers.base.Node`).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((8, 8, 16)), sc.Conv2D(32, 3)])
    >>> node_macs(m.layers[0].node)
    165888
    """
    from .layers import conv, core, normalization

    layer = node.layer
    nested = inner_model(node)
    if nested is not None:
        model, times = nested
        return sympy.expand(times * macs(model))
    if isinstance(layer, core.InputLayer):
        return ZERO
    custom = getattr(layer, "macs_for", None)  # a layer may state its own MACs
    if custom is not None:
        return sympy.expand(custom(node.input_shapes, node.outputs[0].shape))
    shape = node.input_shapes[0] if node.input_shapes else ()
    out = node.outputs[0].shape
    if isinstance(layer, conv._Conv):
        (spatial, channels), (out_spatial, _) = _spatial(layer, shape), _spatial(layer, out)
        return conv_macs(out_spatial, channels, layer.kernel_size, layer.filters, layer.groups)
    if isinstance(layer, conv._ConvTranspose):
        spatial, channels = _spatial(layer, shape)
        return conv_transpose_macs(spatial, channels, layer.kernel_size, layer.filters,
                                   layer.groups)
    if isinstance(layer, conv._DepthwiseConv):
        (_, channels), (out_spatial, _) = _spatial(layer, shape), _spatial(layer, out)
        return depthwise_conv_macs(out_spatial, channels, layer.kernel_size,
                                   layer.depth_multiplier)
    if isinstance(layer, conv._SeparableConv):
        (_, channels), (out_spatial, _) = _spatial(layer, shape), _spatial(layer, out)
        return separable_conv_macs(out_spatial, channels, layer.kernel_size, layer.filters,
                                   layer.depth_multiplier)
    if isinstance(layer, core.Dense):
        return dense_macs(shape, layer.units)
    if isinstance(layer, (normalization.BatchNormalization, normalization.LayerNormalization,
                          normalization.GroupNormalization)):
        return ZERO
    if node.computed.params != 0:
        raise CostError(f"no MAC formula for {layer.type_name} layers, which have parameters; "
                        f"symcnn.costs knows convolutions, Dense and normalization layers; a "
                        f"custom layer states its own with a macs_for(input_shapes, "
                        f"output_shape) method. "
                        f"Received: a {layer.type_name} layer with {node.computed.params} params")
    return ZERO


#: Activations whose every output element ptflops' module hooks count as one operation
#: (``nn.ReLU``, ``nn.PReLU``, ``nn.ELU``, ``nn.LeakyReLU``, ``nn.ReLU6``, ``nn.GELU``); softmax,
#: SiLU, sigmoid and tanh modules have no hook.
_PTFLOPS_ACTIVATIONS = {"relu", "relu6", "elu", "leaky_relu", "prelu", "gelu"}


def _activation_ops(activation, out_elements):
    name = activation if isinstance(activation, str) else getattr(activation, "__name__", None)
    return out_elements if name and name.lower() in _PTFLOPS_ACTIVATIONS else ZERO


def _ptflops_extra(node) -> sympy.Expr:
    """What ptflops' PyTorch module hooks count beyond the MACs, for one call."""
    from .layers import conv, core, normalization, pooling, reshape

    layer = node.layer
    shape = node.input_shapes[0] if node.input_shapes else ()
    out = elements(node.outputs[0].shape) if node.outputs else ZERO
    extra = ZERO
    if isinstance(layer, (conv._Conv, conv._ConvTranspose, conv._DepthwiseConv,
                          conv._SeparableConv, core.Dense)):
        extra = out if layer.use_bias else ZERO
        return extra + _activation_ops(layer.activation, out)
    if isinstance(layer, (core.ReLU, core.LeakyReLU, core.ELU)):
        return out
    if isinstance(layer, core.Activation):
        return _activation_ops(layer.activation, out)
    if isinstance(layer, normalization.BatchNormalization):
        return elements(shape) * (2 if (layer.center or layer.scale) else 1)
    if isinstance(layer, normalization.GroupNormalization):
        return elements(shape) * (2 if (layer.center or layer.scale) else 1)
    if isinstance(layer, normalization.LayerNormalization):
        return elements(shape)  # torch's LayerNorm has no `affine` attribute: counted once
    pools = tuple(getattr(pooling, n) for n in ("_Pooling", "_GlobalPooling", "_AdaptivePooling")
                  if hasattr(pooling, n))
    if isinstance(layer, pools):
        return elements(shape)
    if isinstance(layer, reshape._UpSampling):
        return out
    return extra


def _two_mac(node):
    return 2 * node_macs(node)


#: FLOP conventions: name -> (what it counts, per-node function). ``node_flops`` uses them.
FLOP_CONVENTIONS: dict = {
    "2mac": ("2 per MAC: a multiply and an add (PyTorch FlopCounterMode)", _two_mac),
    "mac": ("1 per MAC (fvcore for convolution and Dense; 'FLOPs' in many papers)", node_macs),
    "ptflops": ("MACs plus ptflops' counts for bias, BatchNorm, activations, pooling and "
                "upsampling (ptflops' PyTorch backend)",
                lambda node: sympy.expand(node_macs(node) + _ptflops_extra(node))),
}


def _convention(convention: str) -> Callable:
    if convention not in FLOP_CONVENTIONS:
        raise CostError(f"unknown FLOP convention; choose one of "
                        f"{', '.join(map(repr, FLOP_CONVENTIONS))}. "
                        f"Received: convention={convention!r}")
    return FLOP_CONVENTIONS[convention][1]


def node_flops(node, convention: str = "2mac") -> sympy.Expr:
    """FLOPs of one layer call under ``convention`` (a key of :data:`FLOP_CONVENTIONS`).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((4,)), sc.Dense(3)])
    >>> node_flops(m.layers[0].node), node_flops(m.layers[0].node, "ptflops")
    (24, 15)
    """
    nested = inner_model(node)
    if nested is not None:
        model, times = nested
        return sympy.expand(times * flops(model, convention))
    return _convention(convention)(node)


# ----------------------------------------------------------------------------- totals


def _cache(obj) -> dict:
    """A per-object memo: costs are computed on first access, then kept."""
    return obj.__dict__.setdefault("_symcnn_costs", {})


def _memo(obj, key, compute):
    cache = _cache(obj)
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _records(obj):
    from .records import LayerRecord

    return [obj] if isinstance(obj, LayerRecord) else list(obj.layers)


def _sum_nodes(obj, key, per_node):
    def compute():
        terms = []  # one n-ary Add at the end: a running sum is quadratic in the depth
        for record in _records(obj):
            if record is obj:
                terms.extend(per_node(n) for n in record.nodes)
            else:
                terms.append(_sum_nodes(record, key, per_node))
        return sympy.expand(sympy.Add(*terms))

    return _memo(obj, key, compute)


def macs(obj) -> sympy.Expr:
    """MACs of a model or a layer record (every call of a shared layer).

    >>> import symcnn as sc
    >>> macs(sc.zoo.textbook.free_width())
    160*n + 2261760
    """
    return _sum_nodes(obj, "macs", node_macs)


def flops(obj, convention: str = "2mac") -> sympy.Expr:
    """FLOPs of a model or layer record under ``convention`` (see :data:`FLOP_CONVENTIONS`).

    >>> import symcnn as sc
    >>> m = sc.zoo.textbook.free_width()
    >>> flops(m) == 2 * macs(m), flops(m, "mac") == macs(m)
    (True, True)
    """
    _convention(convention)
    return _sum_nodes(obj, ("flops", convention), lambda n: node_flops(n, convention))


def _node_activations(node):
    nested = inner_model(node)
    if nested is not None:
        model, times = nested
        return sympy.expand(times * activation_elements(model))
    return sum((elements(t.shape) for t in node.outputs), ZERO)


def activation_elements(obj) -> sympy.Expr:
    """Elements of every layer output (one per call; model inputs excluded).

    >>> import symcnn as sc
    >>> activation_elements(sc.Sequential([sc.Input(("H", 4)), sc.Dense(2), sc.ReLU()]))
    4*H
    """
    return _sum_nodes(obj, "activations", _node_activations)


def activation_bytes(obj, dtype="float32") -> sympy.Expr:
    """Bytes of every layer output at ``dtype`` (see :func:`activation_elements`).

    >>> import symcnn as sc
    >>> activation_bytes(sc.Sequential([sc.Input((10,)), sc.Dense(5)]), "float16")
    10
    """
    return sympy.expand(activation_elements(obj) * dtype_bytes(dtype))


def param_bytes(obj, dtype="float32") -> sympy.Expr:
    """Bytes of all parameters (trainable and not) at ``dtype``.

    >>> import symcnn as sc
    >>> param_bytes(sc.zoo.textbook.cifar()), param_bytes(sc.zoo.textbook.cifar(), "int8")
    (6323904, 1580976)
    """
    return sympy.expand(obj.params * dtype_bytes(dtype))
