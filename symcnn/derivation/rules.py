"""Per-layer rules: which steps a layer type derives, and its parameter formula.

Each rule ``rule(builder, layer, input_shapes, output_shape)`` adds the size steps to the
builder and returns ``(params_formula, bindings)``; :data:`RULES` dispatches on the layer's
class (the first match wins, so specific classes come before their bases).

>>> import symcnn as sc
>>> layer = sc.Conv2D(8, 3)
>>> builder = Builder()
>>> formula, bindings = rule_for(layer)(builder, layer, [(32, 32, 3)], (30, 30, 8))
>>> print(formula), [s.key for s in builder.steps]
C_in*K_h*K_w*F + F
(None, ['H_out', 'W_out', 'C_out'])
"""

from __future__ import annotations

import sympy

from .. import arith, formulas
from ..layers import conv, core, merge, normalization, pooling, reshape
from ..working import Ceiling, Floor, MaxOf, MinOf, Minus, Over, Plus, Times
from .steps import Step

__all__ = ["Builder", "RULES", "rule_for"]

_AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
_SUBS = {1: ("",), 2: ("h", "w"), 3: ("d", "h", "w")}
_SIDES = {1: (("left", "right"),), 2: (("top", "bottom"), ("left", "right")),
          3: (("front", "back"), ("top", "bottom"), ("left", "right"))}

# --------------------------------------------------------------------------- building blocks


def _sym(name: str) -> sympy.Symbol:
    return sympy.Symbol(name)


def _hp(base: str, sub: str) -> sympy.Symbol:
    return _sym(f"{base}_{sub}" if sub else base)


def _same(a, b) -> bool:
    return sympy.sympify(a) == sympy.sympify(b)


class Builder:
    """Collects steps for one layer; ``value`` positions refer to the output shape."""

    def __init__(self) -> None:
        self.steps: list = []
        self.notes: list = []
        self.non_trainable = None  # (formula, bindings) when a rule knows it

    def add(self, key: str, formula, bindings: dict, value) -> None:
        self.steps.append(Step(key, formula, tuple(bindings.items()), sympy.sympify(value)))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def _spatial_positions(rank: int, data_format: str) -> list:
    return list(range(1, rank + 1)) if data_format == "channels_first" else list(range(rank))


def _channel_position(rank: int, data_format: str) -> int:
    return 0 if data_format == "channels_first" else rank


def _pad_terms(pair, rank: int, axis: int, sub: str, bind: dict, letter: str = "P") -> list:
    """``[2*P_h]`` for equal amounts, ``[P_top, P_bottom]`` otherwise; binds the symbols."""
    left, right = pair
    if _same(left, right):
        symbol = _hp(letter, sub)
        bind[symbol] = left
        return [Times(2, symbol)]
    a, b = (_sym(f"{letter}_{side}") for side in _SIDES[rank][axis])
    bind[a], bind[b] = left, right
    return [a, b]


def _window_steps(b: Builder, layer, in_shape, out_shape, kernel, dilation=None,
                  ceil_mode=False) -> None:
    rank, fmt = layer.rank, layer.data_format
    positions = _spatial_positions(rank, fmt)
    for axis, pos in enumerate(positions):
        name, sub = _AXES[rank][axis], _SUBS[rank][axis]
        X, S, K = _sym(f"{name}_in"), _hp("S", sub), _hp("K", sub)
        bind = {X: in_shape[pos], S: layer.strides[axis]}
        padding = layer.padding if isinstance(layer.padding, str) else layer.padding[axis]
        if padding in ("same", "causal"):
            formula = Ceiling(Over(X, S))
            b.note(f"With padding={padding!r} the output is ceiling(input/stride), as Keras "
                   "computes it.")
        else:
            pair = (0, 0) if padding == "valid" else padding
            pads = _pad_terms(pair, rank, axis, sub, bind)
            bind[K] = kernel[axis]
            d = 1 if dilation is None else dilation[axis]
            if _same(d, 1):
                span = Plus(X, *pads, Minus(K))
            else:
                D = _hp("D", sub)
                bind[D] = d
                span = Plus(X, *pads, Minus(Times(D, Plus(K, Minus(1)))), Minus(1))
            if ceil_mode:
                first = pads[0].args[1] if isinstance(pads[0], Times) else pads[0]
                last_start = Floor(Over(Plus(X, first, Minus(1)), S))
                formula = Plus(MinOf(Ceiling(Over(span, S)), last_start), 1)
                b.note("With ceil_mode=True the size rounds up, but no window may start in the "
                       "right padding.")
            else:
                formula = Plus(Floor(Over(span, S)), 1)
        b.add(f"{name}_out", formula, bind, out_shape[pos])


def _kernel_symbols(rank: int) -> list:
    return [_hp("K", sub) for sub in _SUBS[rank]]


def _kernel_bind(layer) -> dict:
    return dict(zip(_kernel_symbols(layer.rank), layer.kernel_size))


def _bias(weights, layer, bias_symbol):
    return Plus(weights, bias_symbol) if layer.use_bias else weights


# --------------------------------------------------------------------------- layer rules


def _conv_rule(b, layer, ins, out):
    x, rank = ins[0], layer.rank
    cpos = _channel_position(rank, layer.data_format)
    _window_steps(b, layer, x, out, layer.kernel_size, layer.dilation_rate)
    F, C, G = _sym("F"), _sym("C_in"), _sym("G")
    b.add("C_out", F, {F: layer.filters}, out[cpos])
    Ks = _kernel_symbols(rank)
    grouped = not _same(layer.groups, 1)
    weights = Times(Over(C, G) if grouped else C, *Ks, F)
    bind = {C: x[cpos], **_kernel_bind(layer), F: layer.filters}
    if grouped:
        bind[G] = layer.groups
        b.note("With G groups each filter sees C_in/G of the input channels.")
    return _bias(weights, layer, F), bind


def _depthwise_rule(b, layer, ins, out):
    x, rank = ins[0], layer.rank
    cpos = _channel_position(rank, layer.data_format)
    _window_steps(b, layer, x, out, layer.kernel_size, layer.dilation_rate)
    C, M = _sym("C_in"), _sym("M")
    bind = {C: x[cpos], **_kernel_bind(layer), M: layer.depth_multiplier}
    b.add("C_out", Times(C, M), {C: x[cpos], M: layer.depth_multiplier}, out[cpos])
    weights = Times(C, *_kernel_symbols(rank), M)
    return _bias(weights, layer, Times(C, M)), bind


def _separable_rule(b, layer, ins, out):
    x, rank = ins[0], layer.rank
    cpos = _channel_position(rank, layer.data_format)
    _window_steps(b, layer, x, out, layer.kernel_size, layer.dilation_rate)
    C, M, F = _sym("C_in"), _sym("M"), _sym("F")
    b.add("C_out", F, {F: layer.filters}, out[cpos])
    bind = {C: x[cpos], **_kernel_bind(layer), M: layer.depth_multiplier, F: layer.filters}
    b.note("A depthwise convolution (C_in*K*M weights), then a pointwise one (C_in*M*F).")
    count = Plus(Times(C, *_kernel_symbols(rank), M), Times(C, M, F))
    return (Plus(*count.args, F) if layer.use_bias else count), bind


def _transpose_rule(b, layer, ins, out):
    x, rank = ins[0], layer.rank
    cpos = _channel_position(rank, layer.data_format)
    for axis, pos in enumerate(_spatial_positions(rank, layer.data_format)):
        name, sub = _AXES[rank][axis], _SUBS[rank][axis]
        X, S, K, D, O = (_sym(f"{name}_in"), _hp("S", sub), _hp("K", sub), _hp("D", sub),
                         _hp("O", sub))
        d = layer.dilation_rate[axis]
        bind = {X: x[pos], S: layer.strides[axis], K: layer.kernel_size[axis]}
        extent = Plus(Times(D, Plus(K, Minus(1))), 1)
        if not _same(d, 1):
            bind[D] = d
        op = None if layer.output_padding is None else layer.output_padding[axis]
        if isinstance(layer.padding, str) and op is None:
            if layer.padding == "same":
                formula = Times(X, S)
            else:
                formula = Plus(Times(X, S), MaxOf(Plus(*(extent.args if not _same(d, 1)
                                                           else (K,)), Minus(S)), 0))
            b.note("Without output_padding Keras sizes a transposed convolution as "
                   "input*stride, plus the kernel overhang for 'valid'.")
        else:
            if isinstance(layer.padding, str):
                pad = arith.floor_div(formulas.effective_kernel(layer.kernel_size[axis], d), 2) \
                    if layer.padding == "same" else sympy.Integer(0)
                pair = (pad, pad)
            else:
                pair = layer.padding[axis]
            pads = _pad_terms(pair, rank, axis, sub, bind)
            grow = extent.args if not _same(d, 1) else (K,)
            terms = [Times(Plus(X, Minus(1)), S), *(Minus(p) for p in pads), *grow]
            if op is not None:
                bind[O] = op
                terms.append(O)
            formula = Plus(*terms)
        b.add(f"{name}_out", formula, bind, out[pos])
    F, C, G = _sym("F"), _sym("C_in"), _sym("G")
    b.add("C_out", F, {F: layer.filters}, out[cpos])
    grouped = not _same(layer.groups, 1)
    weights = Times(C, *_kernel_symbols(rank), Over(F, G) if grouped else F)
    bind = {C: x[cpos], **_kernel_bind(layer), F: layer.filters}
    if grouped:
        bind[G] = layer.groups
    return _bias(weights, layer, F), bind


def _pool_rule(b, layer, ins, out):
    _window_steps(b, layer, ins[0], out, layer.pool_size, ceil_mode=layer.ceil_mode)
    return sympy.Integer(0), {}


def _global_pool_rule(b, layer, ins, out):
    cpos = _channel_position(layer.rank, layer.data_format)
    C = _sym("C_in")
    if layer.keepdims:
        b.note("With keepdims=True every spatial axis is kept, with size 1.")
    else:
        b.add("N_out", C, {C: ins[0][cpos]}, out[0])
        b.note("One value per channel: the spatial axes are reduced away.")
    return sympy.Integer(0), {}


def _dense_rule(b, layer, ins, out):
    N, U = _sym("N_in"), _sym("U")
    b.add("N_out", U, {U: layer.units}, out[-1])
    weights = Times(N, U)
    return (Plus(weights, U) if layer.use_bias else weights), {N: ins[0][-1], U: layer.units}


def _norm_rule(b, layer, ins, out):
    C = _sym("C")
    factor = int(layer.center) + int(layer.scale)
    bind = {C: layer._features(ins[0])}
    if isinstance(layer, normalization.BatchNormalization):
        b.note("Gamma and beta (2C) are trainable; the moving mean and variance (2C) are not.")
        b.non_trainable = (Times(2, C), bind)
        return Times(factor + 2, C), bind
    return (Times(factor, C) if factor else sympy.Integer(0)), (bind if factor else {})


def _input_names(rank: int, channels_first: bool = False) -> list:
    if rank - 1 in _AXES:
        spatial = [_sym(f"{a}_in") for a in _AXES[rank - 1]]
        return [_sym("C_in"), *spatial] if channels_first else [*spatial, _sym("C_in")]
    if rank == 1:
        return [_sym("N_in")]
    return [_sym(f"N_{i + 1}") for i in range(rank)]


def _flatten_rule(b, layer, ins, out):
    # Flatten does not know the layout: the PyTorch-named layers (symcnn.nn) are channels first.
    first = getattr(layer, "data_format", None) == "channels_first" or \
        type(layer).__module__.startswith("symcnn.nn")
    names = _input_names(len(ins[0]), first)
    formula = Times(*names) if len(names) > 1 else names[0]
    b.add("N_out", formula, dict(zip(names, ins[0])), out[0])
    return sympy.Integer(0), {}


def _resize_rule(b, layer, ins, out):
    rank, x = layer.rank, ins[0]
    for axis, pos in enumerate(_spatial_positions(rank, layer.data_format)):
        name, sub = _AXES[rank][axis], _SUBS[rank][axis]
        X = _sym(f"{name}_in")
        bind = {X: x[pos]}
        if isinstance(layer, reshape._UpSampling):
            U = _hp("U", sub)
            bind[U] = layer.size[axis]
            formula = Times(X, U)
        elif isinstance(layer, reshape._Cropping):
            terms = _pad_terms(layer.cropping[axis], rank, axis, sub, bind, letter="Q")
            formula = Plus(X, *(Minus(t) for t in terms))
        else:
            formula = Plus(X, *_pad_terms(layer.padding[axis], rank, axis, sub, bind))
        b.add(f"{name}_out", formula, bind, out[pos])
    return sympy.Integer(0), {}


def _concat_rule(b, layer, ins, out):
    rank = len(out)
    index = layer.axis - 1 if layer.axis >= 0 else rank + layer.axis
    parts = [_sym(f"C_{i + 1}") for i in range(len(ins))]
    key = "C_out" if index == rank - 1 else "N_out"
    b.add(key, Plus(*parts), {p: s[index] for p, s in zip(parts, ins)}, out[index])
    return sympy.Integer(0), {}


def _reshape_rule(b, layer, ins, out):
    if -1 in layer.target_shape:
        N, T = _sym("N_in"), _sym("T")
        known = formulas.prod(d for d in layer.target_shape if d != -1)
        b.add("N_out", Over(N, T), {N: sympy.expand(formulas.prod(ins[0])), T: known},
              out[list(layer.target_shape).index(-1)])
        b.note("The -1 entry takes what is left: all input elements over the given sizes.")
    return sympy.Integer(0), {}


def _adaptive_pool_rule(b, layer, ins, out):
    for axis, pos in enumerate(_spatial_positions(layer.rank, layer.data_format)):
        if layer.output_size[axis] is not None:
            name, sub = _AXES[layer.rank][axis], _SUBS[layer.rank][axis]
            O = _hp("O", sub)
            b.add(f"{name}_out", O, {O: layer.output_size[axis]}, out[pos])
    b.note("Adaptive pooling: the output size is the given output_size, whatever the input.")
    return sympy.Integer(0), {}


def _table_conv_rule(b, layer, ins, out):
    """A window convolution without a formula of its own (e.g. a connection table)."""
    _window_steps(b, layer, ins[0], out, layer.kernel_size, layer.dilation_rate)
    connections = getattr(layer, "connections", None)
    if connections is None:
        return None, {}
    N, F = _sym("N_conn"), _sym("F")
    bind = {**_kernel_bind(layer), N: sum(len(c) for c in connections), F: len(connections)}
    b.note("A connection table: N_conn input-output map pairs, K_h*K_w weights each.")
    weights = Times(*_kernel_symbols(layer.rank), N)
    return _bias(weights, layer, F), bind


def _repeat_rule(b, layer, ins, out):
    from ..layers.base import Checker

    T, P = _sym("T"), _sym("P_block")
    block = layer.block.compute([ins[0]], Checker())
    b.note("The block keeps its input shape; its parameters count T times.")
    return Times(T, P), {T: layer.times, P: block.params}


def _merge_rule(b, layer, ins, out):
    b.note("Element-wise: every input has the output shape (sizes of 1 broadcast).")
    return sympy.Integer(0), {}


def _identity_rule(b, layer, ins, out):
    return sympy.Integer(0), {}


RULES = [
    (conv._Conv, _conv_rule), (conv._DepthwiseConv, _depthwise_rule),
    (conv._SeparableConv, _separable_rule), (conv._ConvTranspose, _transpose_rule),
    (pooling._Pooling, _pool_rule), (pooling._GlobalPooling, _global_pool_rule),
    (core.Dense, _dense_rule), (normalization._AxisLayer, _norm_rule),
    (reshape.Flatten, _flatten_rule), (reshape._UpSampling, _resize_rule),
    (reshape._Cropping, _resize_rule), (reshape._ZeroPadding, _resize_rule),
    (merge.Concatenate, _concat_rule), (merge._Merge, _merge_rule),
    (reshape.Reshape, _reshape_rule), (core._Identity, _identity_rule),
    (reshape.Permute, _identity_rule), (conv._WindowConv, _table_conv_rule),
]
if hasattr(pooling, "_AdaptivePooling"):
    RULES.append((pooling._AdaptivePooling, _adaptive_pool_rule))
try:
    from ..layers.repeat import Repeat as _Repeat

    RULES.append((_Repeat, _repeat_rule))
except ImportError:  # pragma: no cover - older layer sets
    pass


def rule_for(layer):
    """The rule for ``layer``'s class, or None when no formula is known."""
    for cls, rule in RULES:
        if isinstance(layer, cls):
            return rule
    return None
