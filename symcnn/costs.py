"""Compute costs as closed forms: MACs, FLOPs, activation elements and parameter bytes.

Conventions (docs/costs.md explains them and how other tools differ):

- **MACs** (multiply-accumulates) are the products of weights with inputs in convolution and
  Dense layers, each multiplication with its accumulation counted once, padding zeros
  included. Every other layer has 0 MACs: comparisons (max pooling), additions (average
  pooling, ``Add``, bias) and BatchNormalization (folded into the preceding convolution at
  inference) are not multiply-accumulates. A shared layer's MACs count every call.
- **FLOPs** are ``2 * MACs`` by default (``convention="2mac"``, as PyTorch's
  ``FlopCounterMode``). ``"mac"`` counts one per MAC (fvcore, and the "FLOPs" of many papers);
  ``"ptflops"`` adds what ptflops' module hooks add (bias, BatchNorm, activations, pooling);
  recurrent layers and attention count their MACs alone, where ptflops' hooks for
  ``nn.RNN``/``nn.GRU``/``nn.LSTM``/``nn.MultiheadAttention`` count more (docs/costs.md).
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

import weakref
from typing import Callable

import sympy

from .errors import CostError
from .formulas import (conv_macs, conv_transpose_macs, dense_macs, depthwise_conv_macs, elements,
                       separable_conv_macs)
from .layers.protocol import LayerProtocol
from .structural import IdentityMemo, expanded, total

__all__ = [
    "conv_macs", "conv_transpose_macs", "depthwise_conv_macs", "separable_conv_macs",
    "dense_macs", "elements", "dtype_bytes", "FLOP_CONVENTIONS", "macs", "flops",
    "activation_elements", "activation_bytes", "param_bytes", "node_macs", "node_flops",
    "inner_model", "QUANTITIES", "quantity",
]

ZERO = sympy.Integer(0)


# The MAC formulas live in symcnn.formulas (each layer states which applies to it); their
# names stay importable from here (conv_macs, dense_macs, ... are in __all__).


_DTYPE_BYTES = {
    "float64": 8, "double": 8, "int64": 8, "uint64": 8, "complex64": 8,
    "float32": 4, "float": 4, "int32": 4, "uint32": 4, "tfloat32": 4,
    "float16": 2, "half": 2, "bfloat16": 2, "int16": 2, "uint16": 2,
    "float8": 1, "float8_e4m3fn": 1, "float8_e5m2": 1, "int8": 1, "uint8": 1, "bool": 1,
}


def dtype_bytes(dtype) -> int:
    """Bytes per element of ``dtype``: a name (``"float16"``, ``"bfloat16"``, ``"int8"``...),
    a number of bytes, an object with ``itemsize`` (a NumPy or PyTorch dtype) or a NumPy
    scalar type (``np.float16``).

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
    elif isinstance(dtype, type) and dtype.__module__ == "numpy" and \
            dtype.__name__.rstrip("_") in _DTYPE_BYTES:  # a NumPy scalar type: np.float16
        return _DTYPE_BYTES[dtype.__name__.rstrip("_")]
    raise CostError(f"dtype must be a name such as 'float32', 'float16', 'bfloat16' or 'int8', "
                    f"a positive number of bytes, or a dtype with `itemsize`. "
                    f"Received: dtype={dtype!r}")


# ----------------------------------------------------------------------------- per node


def inner_model(node):
    """``(model, times)`` for a node that runs a nested model or a ``Repeat``, else None.

    The layer says so itself (``inner_graph``); the model is the nested one on the node's
    input shapes.
    """
    return node.layer.inner_graph(node.input_shapes)


def node_macs(node) -> sympy.Expr:
    """MACs of one layer call (:class:`~symcnn.layers.base.Node`), as the layer states them
    (``macs_for``); a nested model or ``Repeat`` counts its inner layers.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((8, 8, 16)), sc.Conv2D(32, 3)])
    >>> node_macs(m.layers[0].node)
    165888
    """
    nested = inner_model(node)
    if nested is not None:
        model, times = nested
        return sympy.expand(times * macs(model))
    if not node.inputs:  # an input
        return ZERO
    if type(node.layer).macs_for is LayerProtocol.macs_for and node.computed.params == 0:
        return ZERO  # the default's answer, from this call's own counts (no recomputation)
    seen = _MACS_BY_RESULT.get(node.computed)
    if seen is not None:
        return seen
    value = expanded(sympy.sympify(node.layer.macs_for(node.input_shapes, node.outputs[0].shape)))
    return _MACS_BY_RESULT.put(node.computed, value)


#: MACs by the layer call's result object: calls with the same signature (layer class,
#: arguments, input shapes) share one result (``layers.base.apply_layer``), and their MACs
#: are a function of that signature (ResNet-50: 53 convolutions, 20 distinct).
_MACS_BY_RESULT = IdentityMemo(size=4096)


def _ptflops_extra(node) -> sympy.Expr:
    """What ptflops' PyTorch module hooks count beyond the MACs, for one call."""
    if not node.inputs:
        return ZERO
    return sympy.sympify(node.layer.ptflops_ops_for(node.input_shapes, node.outputs[0].shape))


def _two_mac(node):
    return 2 * node_macs(node)


#: FLOP conventions: name -> (what it counts, per-node function). ``node_flops`` uses them.
FLOP_CONVENTIONS: dict = {
    "2mac": ("2 per MAC: a multiply and an add (PyTorch FlopCounterMode)", _two_mac),
    "mac": ("1 per MAC (fvcore for convolution and Dense; 'FLOPs' in many papers)", node_macs),
    "ptflops": ("MACs plus ptflops' counts for bias, BatchNorm, activations, pooling and "
                "upsampling (ptflops' PyTorch backend); recurrent layers and attention: their "
                "MACs alone",
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


# ----------------------------------------------------------------------------- by name

#: The scalar quantities of a model that budgets, sweeps and plots name by default.
QUANTITIES = ("params", "trainable_params", "non_trainable_params", "macs", "flops",
              "activation_elements", "peak_activation_elements", "param_bytes",
              "activation_bytes", "peak_activation_memory")
#: Cost methods that give a quantity when called with their defaults (float32 bytes).
_BYTE_METHODS = ("param_bytes", "activation_bytes", "peak_activation_memory")


def quantity(obj, name: str):
    """The quantity called ``name`` of a model or layer record, as an expression; None when
    ``name`` names none. Quantities are the attributes holding an expression (``params``,
    ``macs``, ``peak_activation_elements``...) and the byte counts at float32
    (``param_bytes``, ``activation_bytes``, ``peak_activation_memory``). The command line,
    :func:`symcnn.sweep` and ``Model.solve_budget`` all read quantities through this.

    >>> import symcnn as sc
    >>> m = sc.zoo.textbook.free_width()
    >>> quantity(m, "params"), quantity(m, "param_bytes"), quantity(m, "summary")
    (160*n + 48320, 640*n + 193280, None)
    """
    if not isinstance(name, str) or name.startswith("_"):
        return None
    value = getattr(obj, name, None)
    if name in _BYTE_METHODS and callable(value):
        value = value()
    if isinstance(value, int) and not isinstance(value, bool):
        value = sympy.Integer(value)
    return value if isinstance(value, sympy.Expr) else None


# ----------------------------------------------------------------------------- totals

#: Costs computed so far, per model or layer record (weakly held: they go with the object).
#: This module computes them, so it keeps them; models and records stay untouched.
_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _memo(obj, key, compute):
    """``compute()`` for ``(obj, key)`` on first access, then the kept result."""
    cache = _CACHE.setdefault(obj, {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _records(obj):
    """The layer records making up ``obj``: a model's, or a record itself."""
    layers = getattr(obj, "_records", None)  # a model's real layers (not its InputLayers)
    return [obj] if layers is None else list(layers)


def _sum_nodes(obj, key, per_node):
    def compute():
        terms = []  # one n-ary Add at the end: a running sum is quadratic in the depth
        for record in _records(obj):
            if record is obj:
                terms.extend(per_node(n) for n in record.nodes)
            else:
                terms.append(_sum_nodes(record, key, per_node))
        return total(terms)

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
    return node.layer.activation_elements_for(node.input_shapes,
                                              [t.shape for t in node.outputs])


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
