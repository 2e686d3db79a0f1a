"""Building blocks for a layer's worked derivation (formula, working, value).

A layer states its derivation in ``derivation_for(builder, input_shapes, output_shape)``: it
adds one step per output size it decides and returns ``(params_formula, bindings)``, the
parameter count's general formula in the layer's own names and the values those names take.
The helpers here write the formulas every window layer shares, so each layer states only
what is its own.

>>> import symcnn as sc
>>> layer = sc.Conv2D(8, 3)
>>> b = Builder()
>>> formula, bindings = layer.derivation_for(b, [(32, 32, 3)], (30, 30, 8))
>>> print(formula), [s.key for s in b.steps]
C_in*K_h*K_w*F + F
(None, ['H_out', 'W_out', 'C_out'])
"""

from __future__ import annotations

import re
from functools import lru_cache

import sympy

from ..safe import check_expansion
from ..working import Ceiling, Floor, Given, MinOf, Minus, Over, Plus, Times
from .steps import Step

__all__ = ["Builder", "AXES", "SUBS", "sym", "hp", "same", "spatial_positions",
           "channel_position", "pad_terms", "window_steps", "kernel_symbols", "kernel_bind",
           "with_bias", "input_names", "value_of", "layers_sum", "block_shape_note",
           "dim_names", "SYMBOL_NAME"]

AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
SUBS = {1: ("",), 2: ("h", "w"), 3: ("d", "h", "w")}
SIDES = {1: (("left", "right"),), 2: (("top", "bottom"), ("left", "right")),
          3: (("front", "back"), ("top", "bottom"), ("left", "right"))}

# --------------------------------------------------------------------------- building blocks


@lru_cache(maxsize=1024)  # formula letters recur in every layer's formula
def sym(name: str) -> sympy.Symbol:
    return sympy.Symbol(name)


def hp(base: str, sub: str) -> sympy.Symbol:
    return sym(f"{base}_{sub}" if sub else base)


def same(a, b) -> bool:
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


def spatial_positions(rank: int, data_format: str) -> list:
    return list(range(1, rank + 1)) if data_format == "channels_first" else list(range(rank))


def channel_position(rank: int, data_format: str) -> int:
    return 0 if data_format == "channels_first" else rank


def pad_terms(pair, rank: int, axis: int, sub: str, bind: dict, letter: str = "P") -> list:
    """``[2*P_h]`` for equal amounts, ``[P_top, P_bottom]`` otherwise; binds the symbols."""
    left, right = pair
    if same(left, right):
        symbol = hp(letter, sub)
        bind[symbol] = left
        return [Times(2, symbol)]
    a, b = (sym(f"{letter}_{side}") for side in SIDES[rank][axis])
    bind[a], bind[b] = left, right
    return [a, b]


def window_steps(b: Builder, layer, in_shape, out_shape, kernel, dilation=None,
                  ceil_mode=False) -> None:
    rank, fmt = layer.rank, layer.data_format
    positions = spatial_positions(rank, fmt)
    for axis, pos in enumerate(positions):
        name, sub = AXES[rank][axis], SUBS[rank][axis]
        X, S, K = sym(f"{name}_in"), hp("S", sub), hp("K", sub)
        bind = {X: in_shape[pos], S: layer.strides[axis]}
        padding = layer.padding if isinstance(layer.padding, str) else layer.padding[axis]
        if padding in ("same", "causal"):
            formula = Ceiling(Over(X, S))
            b.note(f"With padding={padding!r} the output is ceiling(input/stride), as Keras "
                   "computes it.")
        else:
            pair = (0, 0) if padding == "valid" else padding
            pads = pad_terms(pair, rank, axis, sub, bind)
            bind[K] = kernel[axis]
            d = 1 if dilation is None else dilation[axis]
            if same(d, 1):
                span = Plus(X, *pads, Minus(K))
            else:
                D = hp("D", sub)
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


def kernel_symbols(rank: int) -> list:
    return [hp("K", sub) for sub in SUBS[rank]]


def kernel_bind(layer) -> dict:
    return dict(zip(kernel_symbols(layer.rank), layer.kernel_size))


def with_bias(weights, layer, bias_symbol):
    return Plus(weights, bias_symbol) if layer.use_bias else weights


def input_names(rank: int, channels_first: bool = False) -> list:
    if rank - 1 in AXES:
        spatial = [sym(f"{a}_in") for a in AXES[rank - 1]]
        return [sym("C_in"), *spatial] if channels_first else [*spatial, sym("C_in")]
    if rank == 1:
        return [sym("N_in")]
    return [sym(f"N_{i + 1}") for i in range(rank)]


def value_of(formula, bindings: dict) -> sympy.Expr:
    """The value of a formula with its symbols bound: what the working evaluates to. A layer
    that states its parameter formula once (``formula, bindings``) returns this from
    ``params_for`` and the same pair from ``derivation_for``.

    Before it expands, the value's size is bounded (:func:`symcnn.safe.check_expansion`):
    sizes that are each within a model file's bounds may multiply into millions of terms.

    >>> C, U = sym("C_in"), sym("U")
    >>> value_of(Plus(Times(C, U), U), {C: 160, U: 10})
    1610
    >>> s = sympy.Add(*sympy.symbols("a:l", integer=True, positive=True))**4  # 1,365 terms
    >>> value_of(Plus(Times(C, U), U), {C: s, U: s})
    Traceback (most recent call last):
    ...
    symcnn.safe.BoundError: the parameter count would expand to about 76,947 terms (limit 2,000); symcnn refuses counts this large rather than spend minutes expanding them. Received: a count over 12 symbols
    """
    if formula is None or not hasattr(formula, "xreplace"):
        return sympy.sympify(formula)
    value = formula.xreplace({s: Given(v) for s, v in bindings.items()}).doit()
    check_expansion(value, "the parameter count")
    return sympy.expand(value)


# --------------------------------------------------------------------------- blocks of layers

#: A block with more layers with parameters than this adds them up by layer type.
LISTED_LAYERS = 8


def _a(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def layers_sum(b: Builder, layers, listed: int = LISTED_LAYERS):
    """The parameters of a block (a model used as a layer) as the sum of its layers':
    ``P_1 + P_2 + ...``, one term per layer with parameters (per layer type when there are
    more than ``listed``), and a note that says which layer each term is. ``layers``:
    ``(name, type, params, non_trainable)`` of each of the block's layers. Returns
    ``(formula, bindings)``; the non-trainable parameters add up alike (``N_1 + ...``).

    >>> b = Builder()
    >>> formula, bind = layers_sum(b, [("input", "InputLayer", 0, 0), ("conv", "Conv2D", 448, 0),
    ...                               ("bn", "BatchNormalization", 64, 32)])
    >>> print(formula), value_of(formula, bind), b.non_trainable
    P_1 + P_2
    (None, 512, (N_2, {N_2: 32}))
    >>> print(b.notes[0])
    Its parameters are those of its layers, added up: conv, a Conv2D (P_1); bn, a BatchNormalization (P_2).
    """
    counted = [layer for layer in layers if not same(layer[2], 0)]
    if not counted:
        return sympy.Integer(0), {}
    if len(counted) <= listed:
        groups = [([layer], f"{_name(layer[0])}, {_a(layer[1])}") for layer in counted]
    else:
        by_type: dict = {}
        for layer in counted:
            by_type.setdefault(layer[1], []).append(layer)
        groups = [(members, f"{members[0][0]}, {_a(kind)}" if len(members) == 1 else
                   f"the {len(members)} {kind} layers") for kind, members in by_type.items()]
    bind, frozen, parts = {}, {}, []
    for i, (members, what) in enumerate(groups, 1):
        P = sym(f"P_{i}")
        bind[P] = sympy.expand(sum((m[2] for m in members), sympy.Integer(0)))
        fixed = sympy.expand(sum((m[3] for m in members), sympy.Integer(0)))
        if fixed != 0:
            frozen[sym(f"N_{i}")] = fixed
        parts.append(f"{what} (P_{i})")
    b.note("Its parameters are those of its layers, added up: " + "; ".join(parts) + ".")
    if frozen:
        b.non_trainable = (Plus(*frozen) if len(frozen) > 1 else next(iter(frozen)), frozen)
        b.note("Their non-trainable parameters add up the same way, over the same layers.")
    return (Plus(*bind) if len(bind) > 1 else next(iter(bind))), bind


#: A formula symbol's name as a note writes it: a letter, with a subscript after ``_``
#: (``F``, ``C_in``, ``k_h``, ``D_1``); the printers set such words as math
#: (:mod:`symcnn.render.latex_long`) and a notation preset renames them.
SYMBOL_NAME = r"[A-Za-z](?:_[A-Za-z0-9]+)?"

#: A word a note's reader (and a notation preset) takes for a formula symbol.
_SYMBOL_LIKE = re.compile(rf"(?<![\w']){SYMBOL_NAME}(?![\w'])")


def _name(name: str) -> str:
    """A layer's name as a note writes it: in backticks if it reads as a formula symbol (a
    layer named ``F`` or ``C_in``), which a notation preset would otherwise rename and a
    printer set as math; else as it is.

    >>> _name("conv2d_1"), _name("F")
    ('conv2d_1', '`F`')
    """
    return f"`{name}`" if _SYMBOL_LIKE.search(str(name)) else str(name)


def block_shape_note(b: Builder, keeps: bool, changing) -> None:
    """A block's output shape in words: kept, or set by ``changing`` (``(name, type)`` of
    the layers that change a shape, in order)."""
    if keeps:
        b.note("The block keeps the shape of its input.")
        return
    if not changing:
        return
    shown = [f"{_name(name)} ({kind})" for name, kind in changing[:6]]
    more = len(changing) - len(shown)
    if more:
        listed = ", ".join(shown) + f" and {more} more"
    else:
        listed = ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else shown[0]
    b.note("Its output shape is what its layers make of the input in turn; "
           + ("these change the shape: " if len(changing) > 1 else "this one changes it: ")
           + listed + ".")


def dim_names(position: int) -> tuple:
    """``(N1_in, "N1_out")``: the input size symbol and the output step's key of the axis at
    ``position`` (0 the first axis after the batch axis), numbered as PyTorch numbers dims
    (dim 0 is the batch axis), for layers that do not know which axis is which."""
    return sym(f"N{position + 1}_in"), f"N{position + 1}_out"
