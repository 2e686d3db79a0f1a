"""Receptive fields: size, jump (effective stride) and start offset per spatial axis.

For a layer output, along each spatial axis of the model input, the receptive field is the
span of input positions that can change one output position:

- ``size``: the largest span ``hi - lo + 1`` over output positions, padding positions
  included (it may exceed the input);
- ``jump``: how far the span moves per output step (the product of strides so far; a
  transposed convolution or upsampling divides it);
- ``start``: the first input position seen by output position 0 (negative inside padding).

For a window layer (kernel ``k``, stride ``s``, dilation ``d``, left padding ``p``), output
position ``o`` reads input positions ``s*o - p`` to ``s*o - p + d*(k - 1)``, which gives the
recurrences of Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural
Networks", Distill (2019): ``r = r_prev + d*(k - 1)*j_prev``, ``j = s*j_prev``,
``start = start_prev - p*j_prev``. A transposed convolution (Dumoulin & Visin, 2016: a
convolution over the input with ``s - 1`` zeros between elements) reads positions
``ceiling((o + p - k + 1)/s)`` to ``floor((o + p)/s)``; the span then varies with ``o`` and
``size`` is its maximum over one period. In a graph, spans of all paths are united ("the
largest over paths"). Where positions stop being spatial (Flatten, global pooling, Dense
over a spatial axis) the field covers the whole input. It is ``None`` where it is not a
window (Reshape, Permute, concatenation along a spatial axis) and for a transposed
convolution with strides above 1 and either dilation above 1 or a kernel shorter than its
stride (some of its outputs then read no input at all).

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input(("H", "W", 3)), sc.Conv2D(8, 3), sc.MaxPooling2D(2),
...                    sc.Conv2D(8, 3, dilation_rate=2)])
>>> m.layers[2].receptive_field[0]
AxisField(size=12, jump=2, start=0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import sympy
from sympy import ceiling, floor

from .arith import ceil_div, floor_div
from .costs import _memo, inner_model
from .errors import CostError
from .memory import max_of
from .structural import expanded

__all__ = ["AxisField", "receptive_field", "tensor_fields", "input_span"]

#: The output position along one axis, the variable of the span bounds.
O = sympy.Symbol("o", integer=True, nonnegative=True)
ONE = sympy.Integer(1)


@dataclass(frozen=True)
class AxisField:
    """Receptive field along one spatial axis (``jump`` is None after global layers).

    >>> AxisField(7, 2, -3).center
    0
    """

    size: sympy.Expr
    jump: sympy.Expr | None
    start: sympy.Expr

    @property
    def center(self) -> sympy.Expr:
        """Centre of output position 0's field: ``start + (size - 1)/2``."""
        return sympy.expand(self.start + (sympy.sympify(self.size) - 1) / 2)


@dataclass(frozen=True)
class _Linear:
    """A bound ``coef*O + const + sum(terms)``, linear in the output position ``O``.

    Its ``O``-free symbolic part is kept as a tuple of expanded terms, summed once when the
    bound is read. A layer that reads ``a*O + b`` (every window) multiplies the coefficient
    and appends ``coef*b``'s terms, so a deep chain of 'same'-padded strided convolutions,
    whose paddings add a rounding term or two per layer, costs each layer its own terms
    instead of re-expanding the whole bound.

    >>> _Linear(2, sympy.Integer(-1), ()).expr
    2*o - 1
    """

    coef: sympy.Integer
    const: sympy.Rational
    terms: tuple

    @cached_property
    def expr(self) -> sympy.Expr:
        return sympy.Add(self.coef * O, self.const, *self.terms)


#: The bound ``O`` itself (an input tensor's positions).
_IDENTITY = _Linear(ONE, sympy.Integer(0), ())


def _expr(bound) -> sympy.Expr:
    """A bound as one expression (a :class:`_Linear` summed, anything else as it is)."""
    return bound.expr if isinstance(bound, _Linear) else bound


def _linear(expr) -> _Linear | None:
    """``expr`` as a :class:`_Linear` when it is ``c*O + rest`` with an integer ``c`` and no
    ``O`` in ``rest``; else None."""
    coef, const, terms = sympy.Integer(0), sympy.Integer(0), []
    for term in sympy.Add.make_args(sympy.sympify(expr)):
        c, factor = term.as_coeff_Mul()
        if factor is O and c.is_Integer:
            coef += c
        elif term.has(O):
            return None
        elif term.is_Number:
            const += term
        else:
            terms.append(term)
    return _Linear(coef, const, tuple(terms))


def _compose(bound, a):
    """``bound`` with ``O`` replaced by ``a`` (the position the layer reads for output O)."""
    if isinstance(bound, _Linear):
        step = _linear(a)
        if step is not None:
            return _through_linear(bound, step)
    return _canon(_expr(bound).xreplace({O: a}))


def _through_linear(bound: _Linear, step: _Linear, scaled: tuple | None = None) -> _Linear:
    """``bound`` with ``O`` replaced by ``step``; ``scaled``: ``step``'s terms times
    ``bound.coef``, when already computed."""
    c = bound.coef
    if scaled is None:
        scaled = tuple(c * t for t in step.terms)
    return _Linear(c * step.coef, bound.const + c * step.const, bound.terms + scaled)


def _offset(a, b) -> _Linear:
    """``a*O + b`` for an integer ``a`` and an expanded ``b`` without ``O``."""
    const, rest = sympy.sympify(b).as_coeff_Add()
    return _Linear(a, const, sympy.Add.make_args(rest) if rest else ())


def _window_step(axis: "_Axis", affine) -> tuple:
    """``(lo, hi)`` of ``axis`` after a layer whose output ``o`` reads ``a*o + b`` to
    ``a*o + b + width`` (:meth:`~symcnn.windows.AxisMap.affine`), composed without
    substituting; ``b``'s terms are scaled once for both bounds."""
    a, b, width = affine
    lo_step = _offset(a, b)
    if not (isinstance(axis.lo, _Linear) and isinstance(axis.hi, _Linear)):
        return _compose(axis.lo, lo_step.expr), _compose(axis.hi, lo_step.expr + width)
    width = sympy.sympify(width)
    if width.is_Number:
        hi_step = _Linear(a, lo_step.const + width, lo_step.terms)
    else:
        hi_step = _offset(a, expanded(b + width))
    lo = _through_linear(axis.lo, lo_step)
    shared = hi_step.terms is lo_step.terms and axis.hi.coef == axis.lo.coef
    return lo, _through_linear(axis.hi, hi_step,
                               lo.terms[len(axis.lo.terms):] if shared else None)


@dataclass(frozen=True)
class _Axis:
    index: int | None  # the axis in the tensor's shape; None once it is no longer spatial
    lo: _Linear | sympy.Expr  # first input position read by output position O
    hi: _Linear | sympy.Expr  # last one
    jump: sympy.Expr | None
    period: int | None  # hi - lo repeats with this period in O (None: not known)


def _canon(expr):
    """Re-canonicalise floors and ceilings after a substitution (nested ones collapse)."""
    expr = sympy.sympify(expr)
    if not expr.has(floor, ceiling):
        return sympy.expand(expr)
    if isinstance(expr, (floor, ceiling)):
        num, den = sympy.fraction(sympy.together(_canon(expr.args[0])))
        if den.is_Integer and den > 0:
            return (floor_div if isinstance(expr, floor) else ceil_div)(sympy.expand(num), den)
        return type(expr)(num / den)
    return sympy.expand(expr.func(*(_canon(a) for a in expr.args)))


def _through(axis: _Axis, a, b, jump, period, index="keep") -> _Axis:
    """Compose: output position O reads previous positions ``a(O)`` to ``b(O)``."""
    return _Axis(axis.index if index == "keep" else index,
                 _compose(axis.lo, a), _compose(axis.hi, b), jump, period)


def _collapse(axis: _Axis, size, keep_index: bool = False) -> _Axis:
    """Every output position reads all ``size`` previous positions (global layers)."""
    return _Axis(axis.index if keep_index else None, _compose(axis.lo, sympy.Integer(0)),
                 _compose(axis.hi, sympy.expand(size - 1)), None, 1)


def _mul_jump(jump, factor):
    return None if jump is None else sympy.expand(jump * factor)


# ----------------------------------------------------------------------------- layer rules


def _apply(maps, state, shape):
    """The state after a layer whose ``window_for`` gave ``maps`` (one entry per axis)."""
    if state is None:
        return None
    out = []
    for axis in state:
        m = None if axis.index is None else maps[axis.index]
        if m is None:
            out.append(axis)
            continue
        if not m.defined:
            return None
        size = shape[axis.index]
        affine = m.affine(size)
        if affine is not None:
            lo, hi = _window_step(axis, affine)
        else:
            lo, hi = m.bounds(O, size)
            lo, hi = _compose(axis.lo, lo), _compose(axis.hi, hi)
        out.append(_Axis(axis.index if m.keeps_axis else None, lo, hi,
                         m.jump(axis.jump, size), m.period(axis.period)))
    return tuple(out)


def _unite(states):
    """Spans of several paths into one tensor: the union (the largest over paths)."""
    if any(s is None for s in states) or len({len(s) for s in states}) != 1:
        return None
    out = []
    for axes in zip(*states):
        indices = {a.index for a in axes if a.index is not None}
        if len(indices) > 1:
            return None
        jumps = {a.jump for a in axes}
        periods = [a.period for a in axes]
        period = math.lcm(*periods) if all(isinstance(p, int) for p in periods) else None
        lo, hi = -max_of([-_expr(a.lo) for a in axes]), max_of([_expr(a.hi) for a in axes])
        out.append(_Axis(indices.pop() if indices else None,
                         _linear(lo) or lo, _linear(hi) or hi,
                         jumps.pop() if len(jumps) == 1 else None, period))
    return tuple(out)


class _Failed:
    """A tensor whose field cannot be given, and why (raised only when it is asked for)."""

    def __init__(self, error: Exception) -> None:
        self.error = error


def _layer_rule(node, states):
    """The output state of ``node`` from its inputs' states (None: undefined), from the
    windows the layer states (``window_for``)."""
    failed = [s for s in states if isinstance(s, _Failed)]
    if failed:
        return failed[0]
    shapes = node.input_shapes
    if len(shapes) == 1 and states[0] is None:
        return None
    try:
        maps = node.layer.window_for(shapes[0] if len(shapes) == 1 else shapes)
    except CostError as err:
        return _Failed(err)
    if maps is None:
        return None
    outs = [_apply(maps, state, shape) for state, shape in zip(states, shapes)]
    return outs[0] if len(outs) == 1 else _unite(outs)


# ----------------------------------------------------------------------------- propagation


def _input_format(model) -> str:
    for node in model.nodes:
        data_format = getattr(node.layer, "data_format", None)
        if data_format in ("channels_first", "channels_last") and hasattr(node.layer, "rank"):
            return data_format
    return "channels_last"


def _propagate(model, input_states) -> dict:
    """States of every tensor of ``model`` (by ``id``) from the states of its inputs."""
    states = {id(t): s for t, s in zip(model.inputs, input_states)}
    for node in model.nodes:
        if not node.inputs:  # an input
            continue
        ins = [states[id(t)] for t in node.inputs]
        nested = inner_model(node)
        if nested is None:
            out = _layer_rule(node, ins)
        else:
            out = _through_block(nested, ins)
        for t in node.outputs:
            states[id(t)] = out
    return states


def _through_block(nested, ins):
    inner, times = nested
    if any(isinstance(s, _Failed) for s in ins):
        return next(s for s in ins if isinstance(s, _Failed))
    if getattr(times, "is_Integer", True) or times == 1:
        result = ins[0] if len(ins) == 1 else None
        for _ in range(int(times)):
            result = _propagate(inner, ins if len(ins) > 1 else [result])[id(inner.outputs[0])]
        return result
    # A symbolic number of repetitions: fine when the block reads o + a to o + b.
    (state,) = ins
    if state is None:
        return None
    probe = tuple(_Axis(a.index, _IDENTITY, _IDENTITY, ONE, 1) for a in state)
    once = _propagate(inner, [probe])[id(inner.outputs[0])]
    if once is None or isinstance(once, _Failed):
        return once
    out = []
    for axis, step in zip(state, once):
        a, b = sympy.expand(_expr(step.lo) - O), sympy.expand(_expr(step.hi) - O)
        if a.has(O) or b.has(O) or step.index != axis.index:
            return None
        out.append(_through(axis, O + times * a, O + times * b, axis.jump, axis.period))
    return tuple(out)


def _states(model) -> dict:
    def compute():
        fmt = _input_format(model)
        starts = []
        for t in model.inputs:
            rank = len(t.shape)
            indices = list(range(1, rank)) if fmt == "channels_first" else list(range(rank - 1))
            starts.append(tuple(_Axis(i, _IDENTITY, _IDENTITY, ONE, 1) for i in indices))
        return _propagate(model, starts)

    return _memo(model, "rf_states", compute)


def _field(axis: _Axis) -> AxisField | None:
    lo = _expr(axis.lo)
    span = _canon(_expr(axis.hi) - lo + 1)
    if span.has(O):
        if not isinstance(axis.period, int) or axis.period > 4096:
            return None
        span = max_of(_canon(span.xreplace({O: v})) for v in range(axis.period))
    return AxisField(span, axis.jump, _canon(lo.xreplace({O: 0})))


def _state_of(model, tensor):
    state = _states(model).get(id(tensor))
    if isinstance(state, _Failed):
        raise state.error
    return state


def _model_and_tensor(obj):
    """A model and its first output, or a layer record's model and its first output."""
    if hasattr(obj, "outputs"):
        return obj, obj.outputs[0]
    if obj.model is None:
        raise CostError(f"the layer record {obj.name!r} belongs to no model. Received: {obj!r}")
    return obj.model, obj.node.outputs[0]


def tensor_fields(model, tensor):
    """The receptive field of ``tensor`` (of ``model``): a tuple of :class:`AxisField`, one per
    spatial axis of the model input, or None where it is undefined (positions rearranged).
    A layer on the way that states no ``window_for`` raises :class:`~symcnn.errors.CostError`
    naming it.

    >>> import symcnn as sc
    >>> x = sc.Input((32, 3))
    >>> m = sc.Model(x, sc.Conv1D(4, 5, strides=2)(x))
    >>> tensor_fields(m, m.outputs[0])
    (AxisField(size=5, jump=2, start=0),)
    """
    state = _state_of(model, tensor)
    if state is None:
        return None
    fields = tuple(_field(a) for a in state)
    return None if any(f is None for f in fields) else fields


def receptive_field(obj):
    """Receptive field of a layer record's output (first call) or a model's first output.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", "W", 3)), sc.Conv2D(8, 7, strides=2, padding=3)])
    >>> receptive_field(m)
    (AxisField(size=7, jump=2, start=-3), AxisField(size=7, jump=2, start=-3))
    """
    model, tensor = _model_and_tensor(obj)
    return _memo(obj, "rf", lambda: tensor_fields(model, tensor))


def input_span(obj, position) -> tuple | None:
    """``(first, last)`` input position read by one output position, per spatial axis.

    ``obj`` is a model (its first output) or a layer record; ``position`` gives the output
    position along each spatial axis (ignored on axes that are no longer spatial). Positions
    outside ``0 .. size - 1`` are padding. None where the field is undefined.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((1, 16)), sc.Conv1DTranspose(1, 3, strides=2,
    ...                    data_format="channels_first")])
    >>> [input_span(m, (o,)) for o in range(4)]
    [((-1, 0),), ((0, 0),), ((0, 1),), ((1, 1),)]
    """
    model, tensor = _model_and_tensor(obj)
    state = _state_of(model, tensor)
    if state is None:
        return None
    position = tuple(position)
    if len(position) != len(state):
        raise CostError(f"input_span: give one output position per spatial axis "
                        f"({len(state)}). Received: position={position!r}")
    out = []
    for axis, o in zip(state, position):
        at = {O: sympy.Integer(o)}
        out.append((_canon(_expr(axis.lo).xreplace(at)), _canon(_expr(axis.hi).xreplace(at))))
    return tuple(out)
