"""Receptive fields: size, jump (effective stride) and start offset per spatial axis.

For a layer output, along each spatial axis of the model input, the receptive field is the
window of one output position: the composed windows of the layers, in the input's
coordinates, padding positions included:

- ``size``: the largest span ``hi - lo + 1`` over output positions, padding positions
  included (it may exceed the input);
- ``jump``: how far the span moves per output step (the product of strides so far; a
  transposed convolution or upsampling divides it, adaptive pooling multiplies it by
  ``i/m``): where the move varies from step to step, its average over one period;
- ``start``: where output position 0's window starts (negative inside padding).

A layer's padding counts wherever it lands: after a crop, a later layer's padding covers
input positions the crop removed, which lie inside the input yet are read by no output.
:func:`input_span` gives the input positions an output position actually reads: the
window cut at both ends of every tensor on the way (:mod:`symcnn.receptive_reads`).
PyTorch's ``reflect``, ``replicate`` and ``circular`` padding (the padding modules,
``F.pad``, a convolution's ``padding_mode``) have the zero-padded window, but their padding
holds copies of input positions, which :func:`input_span` maps back (mirrored, the end one,
wrapped around: :class:`~symcnn.windows.Copied`).

A model of several inputs follows each input's field on its own (inputs of different sizes
have positions of their own): a tensor's field is the one field every input it depends on
gives, and None where they differ.

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

A ``Repeat`` of a block that keeps the shape reads its input the same way at every
repetition, so any count, symbolic or a number, composes in closed form: a shift ``o + b``
grows linearly, a stride (which keeps a size of 1) geometrically, and a block that reads its
whole input reads it after any count from 1. Where the block's field is none of these (a
skip beside a stride), a numeric count is walked repetition by repetition (up to
:data:`~symcnn.layers.repeat.MAX_LAYER_CALLS` layer calls) and a symbolic one is a
:class:`~symcnn.errors.CostError` naming the layer, as is a count whose jump would be too
large to build (``2**(10**9)``); it is None only where the block's field is.

>>> strided = sc.Conv1D(3, 3, strides=2, padding="same")
>>> sc.Sequential([sc.Input((1, 3)), sc.Repeat(strided, "L")]).receptive_field
(AxisField(size=2*2**L - 1, jump=2**L, start=1 - 2**L),)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy

from .arith import Infeasible, require_at_least
from .costs import _memo, inner_model
from .errors import SUBS_HINT, CostError, brief, describe_layer
from .layers.repeat import MAX_LAYER_CALLS, unrolled_calls
from .memory import max_of
from .receptive_bounds import IDENTITY, O, Linear, as_expr, canon, compose, linear, window_bounds
from .receptive_reads import (Facts, Positions, Undecided, bound_expr, clip, copied,
                              positions_through, unite)
from .safe import MAX_RESULT_BITS
from .windows import Copied

__all__ = ["AxisField", "receptive_field", "tensor_fields", "input_span"]

ONE = sympy.Integer(1)


@dataclass(frozen=True)
class AxisField:
    """Receptive field along one spatial axis: ``size`` (the largest span, padding
    included), ``jump`` and ``start`` (where output 0's window starts).

    ``jump`` is how far the span moves per output step: the product of the strides for
    windows, whose every step moves it alike. Where the move varies with the step, it is
    the average move, over a period of steps (the windows of outputs ``o`` and ``o + n``
    lie ``n*jump`` apart for a whole period ``n``): ``jump/s`` after a transposed
    convolution with stride ``s`` (one position every ``s`` outputs), ``jump/f`` after
    upsampling by ``f``, ``jump*i/m`` after adaptive pooling from ``i`` to ``m`` positions
    (from 9 to 4 the windows start at 0, 2, 4, 6: a jump of ``9/4``). None after global
    layers.

    >>> AxisField(7, 2, -3).center
    0
    >>> import symcnn as sc
    >>> pooled = sc.nn.Sequential(sc.nn.AdaptiveAvgPool1d(4), input_shape=(1, 9))
    >>> pooled.receptive_field, [input_span(pooled, (o,))[0][0] for o in range(4)]
    ((AxisField(size=3, jump=9/4, start=0),), [0, 2, 4, 6])
    """

    size: sympy.Expr
    jump: sympy.Expr | None
    start: sympy.Expr

    @property
    def center(self) -> sympy.Expr:
        """Centre of output position 0's field: ``start + (size - 1)/2``."""
        return sympy.expand(self.start + (sympy.sympify(self.size) - 1) / 2)


@dataclass(frozen=True)
class _Axis:
    index: int | None  # the axis in the tensor's shape; None once it is no longer spatial
    lo: Linear | sympy.Expr  # first input position read by output position O
    hi: Linear | sympy.Expr  # last one
    jump: sympy.Expr | None
    period: int | None  # hi - lo repeats with this period in O (None: not known)


def _through(axis: _Axis, a, b, jump, period, index="keep") -> _Axis:
    """Compose: output position O reads previous positions ``a(O)`` to ``b(O)``."""
    return _Axis(axis.index if index == "keep" else index,
                 compose(axis.lo, a), compose(axis.hi, b), jump, period)


def _collapse(axis: _Axis, size, keep_index: bool = False) -> _Axis:
    """Every output position reads all ``size`` previous positions (global layers)."""
    return _Axis(axis.index if keep_index else None, compose(axis.lo, sympy.Integer(0)),
                 compose(axis.hi, sympy.expand(size - 1)), None, 1)


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
            lo, hi = window_bounds(axis.lo, axis.hi, affine)
        else:
            lo, hi = m.bounds(O, size)
            lo, hi = compose(axis.lo, lo), compose(axis.hi, hi)
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
        lo, hi = -max_of([-as_expr(a.lo) for a in axes]), max_of([as_expr(a.hi) for a in axes])
        out.append(_Axis(indices.pop() if indices else None,
                         linear(lo) or lo, linear(hi) or hi,
                         jumps.pop() if len(jumps) == 1 else None, period))
    return tuple(out)


class _Failed:
    """A tensor whose field cannot be given, and why (raised only when it is asked for)."""

    def __init__(self, error: Exception) -> None:
        self.error = error


def _where(model, layer) -> str:
    """How a message names ``layer`` of ``model``: by the name the model knows it by (an
    unnamed layer's record is named ``repeat``, ``conv2d_1``, ... while the layer's own
    ``name`` stays None), as :func:`~symcnn.errors.describe_layer` writes it."""
    name = next((r.name for r in getattr(model, "_records", ()) if r.layer is layer),
                layer.name)
    return describe_layer(layer.type_name, name)


def _named(err: CostError, layer, where: str) -> CostError:
    """``err`` starting with ``where`` where the layer named itself without a name (its
    ``_where()``, ``Repeat layer``: it is not told the name its model gave it)."""
    unnamed, text = layer._where(), str(err)
    if where == unnamed or not text.startswith(unnamed + ":"):
        return err
    return type(err)(where + text[len(unnamed):])


class _AbsentState:
    def __repr__(self) -> str:
        return "ABSENT"


#: The state of a tensor that does not depend on the model input whose field is followed
#: (a model of several inputs follows each input's field on its own: :func:`_states_by_input`).
ABSENT = _AbsentState()


def _layer_rule(model, node, states):
    """The output state of ``node`` (of ``model``) from its inputs' states (None:
    undefined), from the windows the layer states (``window_for``); inputs in the state
    :data:`ABSENT` are left out (the output is ``ABSENT`` where all are)."""
    shapes = node.input_shapes
    present = [(s, shape) for s, shape in zip(states, shapes) if s is not ABSENT]
    if not present:
        return ABSENT
    failed = [s for s, _ in present if isinstance(s, _Failed)]
    if failed:
        return failed[0]
    if len(shapes) == 1 and states[0] is None:
        return None
    try:
        maps = node.layer.window_for(shapes[0] if len(shapes) == 1 else shapes)
    except CostError as err:
        return _Failed(_named(err, node.layer, _where(model, node.layer)))
    if maps is None:
        return None
    outs = [_apply(maps, state, shape) for state, shape in present]
    return outs[0] if len(shapes) == 1 else _unite(outs)


# ----------------------------------------------------------------------------- propagation


def _input_format(model) -> str:
    """Where a model's input has its channels: as the model states it (``input_format``:
    ``from_torch``'s models, channels first), else as its first windowed layer says, or a
    layer that states its input's layout (``symcnn.nn``'s: channels first, also an
    ``nn.Upsample`` alone), looking into a nested model (its own statement first) or a
    ``Repeat``'s block that comes first; else Keras' channels last."""
    return _stated_format(model) or "channels_last"


def _stated_format(model) -> str | None:
    own = _layer_format(model)  # the model's input_format (a model has no data_format)
    if own is not None:
        return own
    for node in model.nodes:
        found = _layer_format(node.layer)
        if found is None:
            nested = inner_model(node) if node.inputs else None
            inner = nested[0] if nested is not None else getattr(node.layer, "block", None)
            found = _stated_format(inner) if getattr(inner, "nodes", None) is not None else \
                _layer_format(inner)  # a Repeat of one layer
        if found is not None:
            return found
    return None


def _layer_format(layer) -> str | None:
    """The layout a layer states for its input: a windowed layer's ``data_format``, or
    ``input_format`` (``symcnn.nn``'s layers, a model's as its builder states it); None
    for none (or no layer)."""
    data_format = getattr(layer, "data_format", None)
    if data_format in ("channels_first", "channels_last") and hasattr(layer, "rank"):
        return data_format
    stated = getattr(layer, "input_format", None)
    return stated if stated in ("channels_first", "channels_last") else None


def _propagate(model, input_states) -> dict:
    """States of every tensor of ``model`` (by ``id``) from the states of its inputs."""
    states = {id(t): s for t, s in zip(model.inputs, input_states)}
    for node in model.nodes:
        if not node.inputs:  # an input
            continue
        ins = [states[id(t)] for t in node.inputs]
        nested = inner_model(node)
        if nested is None:
            out = _layer_rule(model, node, ins)
        else:
            out = _through_block(model, node, nested, ins)
        for t in node.outputs:
            states[id(t)] = out
    return states


def _through_block(model, node, nested, ins):
    """The state after a nested model (run once) or a ``Repeat`` of a block that keeps the
    shape (``times`` runs of the same block on the same shape: :func:`_repeated`); ``node``
    is a call in ``model``."""
    inner, times = nested
    if all(s is ABSENT for s in ins):
        return ABSENT
    if any(isinstance(s, _Failed) for s in ins):
        return next(s for s in ins if isinstance(s, _Failed))
    numeric = getattr(times, "is_Integer", True)
    if len(ins) == 1 and not (numeric and int(times) <= 1):
        return None if ins[0] is None else _repeated(model, node, inner, ins[0], times)
    result = ins[0] if len(ins) == 1 else None
    for _ in range(int(times)):
        result = _propagate(inner, ins if len(ins) > 1 else [result])[id(inner.outputs[0])]
    return result


def _repeated(model, node, inner, state, times):
    """``times`` repetitions of the block ``inner`` (it keeps its input's shape, so every
    repetition reads its input as the first one does), composed in closed form:

    - a block whose output ``o`` reads ``a*o + b`` to ``a*o + c`` (a window; ``a`` above 1
      is a stride, on an axis of size 1, which it keeps): ``a**times*o + b*g`` to
      ``a**times*o + c*g`` with ``g = (a**times - 1)/(a - 1)`` (``times`` for ``a = 1``), the
      jump multiplied by ``a**times``; exact for every count, 0 included;
    - a block whose field is the same after two repetitions as after one (it reads its
      whole input, as a squeeze-and-excitation block): that one repetition's, for a count
      of at least 1 (or any count, where one repetition leaves the field as it is).

    Otherwise a numeric count is walked repetition by repetition (up to
    :data:`~symcnn.layers.repeat.MAX_LAYER_CALLS` layer calls), and any other count is a
    :class:`~symcnn.errors.CostError` naming the layer as ``model`` knows it. None where
    the block's field is undefined."""
    probe = tuple(_Axis(a.index, IDENTITY, IDENTITY, ONE, 1) for a in state)
    once = _propagate(inner, [probe])[id(inner.outputs[0])]
    if once is None or isinstance(once, _Failed):
        return once
    layer = node.layer
    numeric = getattr(times, "is_Integer", True)
    try:
        closed = _geometric(state, once, times)
    except _TooLarge as err:
        return _Failed(CostError(
            f"{_where(model, layer)}: the receptive field of {int(times):,} repetitions of "
            f"{_block_name(layer)!r} has a jump of {err.base}**{times}, a number of about "
            f"{err.bits:,} bits (symcnn builds numbers of at most {MAX_RESULT_BITS:,}); keep "
            f"the count a symbol, Repeat(block, 'L'), for the closed form in L. "
            f"Received: times={times}"))
    if closed is not None:
        return closed
    twice = _propagate(inner, [once])[id(inner.outputs[0])]
    if _same_state(once, twice):  # f(f(o)) = f(o): every count from 1 on reads as one
        after = _propagate(inner, [state])[id(inner.outputs[0])]
        if numeric or require_at_least(times, 1) is None or _same_state(state, after):
            return after  # (the last: no count changes the field, 0 neither)
        reason = (f"the block's field is the same for every count from 1 on, but {times} "
                  f"may be 0, where the field is the input's")
    else:
        if numeric and int(times) * max(unrolled_calls(inner), 1) <= MAX_LAYER_CALLS:
            result = state
            for _ in range(int(times)):
                result = _propagate(inner, [result])[id(inner.outputs[0])]
            return result
        reason = ("the block's field is not a window that repeats (its first and last "
                  f"positions read are {_shown(once)}, not a*o + b with the same a at both "
                  f"ends), nor one that a second repetition keeps")
    how = ("substitute a count of at most "
           f"{MAX_LAYER_CALLS // max(unrolled_calls(inner), 1):,}" if numeric
           else f"substitute the count {SUBS_HINT}")
    return _Failed(CostError(
        f"{_where(model, layer)}: the receptive field of "
        f"{f'{int(times):,}' if numeric else times} repetitions of "
        f"{_block_name(layer)!r} is not computed: {reason}; {how} for the receptive field. "
        f"Received: block={_block_name(layer)!r}, times={times}"))


class _TooLarge(Exception):
    def __init__(self, base, bits) -> None:
        super().__init__(base, bits)
        self.base, self.bits = base, bits


def _block_name(layer) -> str:
    return getattr(layer, "_block_name", type(layer).__name__)


def _shown(state) -> str:
    return ", ".join(f"{canon(as_expr(a.lo))} to {canon(as_expr(a.hi))}" for a in state)


def _same_state(a, b) -> bool:
    """Whether two states are the same (bounds compared with nested extremes flattened:
    ``Max(H - 1, Max(o, H - 1))`` is ``Max(o, H - 1)``)."""
    if a is None or b is None or isinstance(b, _Failed) or len(a) != len(b):
        return False
    return all(x.index == y.index and x.jump == y.jump and x.period == y.period
               and _flat(x.lo) == _flat(y.lo) and _flat(x.hi) == _flat(y.hi)
               for x, y in zip(a, b))


def _flat(bound) -> sympy.Expr:
    return canon(as_expr(bound)).replace(lambda e: isinstance(e, (sympy.Max, sympy.Min)),
                                         lambda e: e.func(*e.args))


def _affine(bound):
    """``(a, b)`` for a bound ``a*O + b`` (``a`` and ``b`` free of ``O``), else None."""
    expr = canon(as_expr(bound))
    a = expr.coeff(O, 1)
    b = sympy.expand(expr - a * O)
    return None if a.has(O) or b.has(O) else (sympy.expand(a), b)


def _geometric(state, once, times):
    """``state`` after ``times`` repetitions of a block whose field (from one repetition,
    ``once``) reads ``a*o + b`` to ``a*o + c`` along every axis, with ``a`` at least 1; None
    where it does not."""
    plan = []
    for axis, step in zip(state, once):
        lo, hi = _affine(step.lo), _affine(step.hi)
        if step.index != axis.index or lo is None or hi is None or lo[0] != hi[0] \
                or step.jump is None:
            return None
        a = lo[0]
        if a != 1 and not (a - 1).is_positive:
            return None
        plan.append((axis, step, a, lo[1], hi[1]))
    out = []
    for axis, step, a, b, c in plan:
        for base in (step.jump, a):  # refused before the power is built (2**(10**9): 10 s)
            bits = _power_bits(base, times)
            if bits > MAX_RESULT_BITS:
                raise _TooLarge(base, bits)
        jump = _mul_jump(axis.jump, step.jump**times)
        if a == 1:  # a shift: ``o + times*b`` to ``o + times*c``
            out.append(_through(axis, O + times * b, O + times * c, jump, axis.period))
            continue
        power = a**times
        # (a**times - 1)/(a - 1) times b: exact division first where b is a multiple of
        # a - 1 (a nested Repeat's b = 1 - 2**L over a - 1 = 2**L - 1)
        lo, hi = (sympy.expand(power * O + sympy.cancel(v / (a - 1)) * (power - 1))
                  for v in (b, c))
        # the input's period p stays one: o + p moves a**times*o by a multiple of p
        out.append(_through(axis, lo, hi, jump, axis.period))
    return tuple(out)


def _power_bits(base, times) -> int:
    """About how many bits ``base**times`` takes, for a numeric count and a rational base
    (0 otherwise: a symbolic power is not built)."""
    base = sympy.sympify(base)
    if not (getattr(times, "is_Integer", False) and base.is_Rational):
        return 0
    return int(times) * (max(abs(base.p), base.q).bit_length() - 1)


def _starts(model) -> list:
    """The state of each model input: every spatial axis reads itself."""
    fmt = _input_format(model)
    tokens = {id(t) for node in model.nodes if node.layer.reads_token_ids
              for t in node.inputs}
    starts = []
    for t in model.inputs:
        rank = len(t.shape)
        if id(t) in tokens:  # token ids: every axis is a position, none holds channels
            indices = list(range(rank))
        else:
            indices = list(range(1, rank)) if fmt == "channels_first" else \
                list(range(rank - 1))
        starts.append(tuple(_Axis(i, IDENTITY, IDENTITY, ONE, 1) for i in indices))
    return starts


def _states(model) -> dict:
    """Every tensor's state, the paths from all model inputs united (the axes' positions:
    what :func:`input_span` walks back along)."""
    return _memo(model, "rf_states", lambda: _propagate(model, _starts(model)))


def _states_by_input(model) -> list:
    """Per model input, every tensor's state along the paths from that input alone
    (:data:`ABSENT` where a tensor does not depend on it): inputs of different sizes have
    positions of their own, which a union would mix."""
    def compute():
        starts = _starts(model)
        return [_propagate(model, [s if j == i else ABSENT for j, s in enumerate(starts)])
                for i in range(len(starts))]

    return _memo(model, "rf_states_by_input", compute)


def _field(axis: _Axis) -> AxisField | None:
    lo = as_expr(axis.lo)
    span = canon(as_expr(axis.hi) - lo + 1)
    if span.has(O):
        if not isinstance(axis.period, int) or axis.period > 4096:
            return None
        span = max_of(canon(span.xreplace({O: v})) for v in range(axis.period))
    return AxisField(span, axis.jump, canon(lo.xreplace({O: 0})))


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
    spatial axis of the model input, or None where it is undefined (positions rearranged,
    or model inputs whose fields differ meet).
    A layer on the way that states no ``window_for``, or a ``Repeat`` whose field is not
    stated for its count, raises :class:`~symcnn.errors.CostError` naming it.

    >>> import symcnn as sc
    >>> x = sc.Input((32, 3))
    >>> m = sc.Model(x, sc.Conv1D(4, 5, strides=2)(x))
    >>> tensor_fields(m, m.outputs[0])
    (AxisField(size=5, jump=2, start=0),)
    """
    if len(model.inputs) > 1:
        return _fields_by_input(model, tensor)
    state = _state_of(model, tensor)
    if state is None:
        return None
    fields = tuple(_field(a) for a in state)
    return None if any(f is None for f in fields) else fields


def _fields_by_input(model, tensor):
    """The field of ``tensor`` of a model of several inputs: the one field every input it
    depends on gives; None where they differ (each input has positions of its own) or one
    is undefined."""
    found = []
    for states in _states_by_input(model):
        state = states.get(id(tensor))
        if state is ABSENT:
            continue
        if isinstance(state, _Failed):
            raise state.error
        if state is None:
            return None
        fields = tuple(_field(a) for a in state)
        if any(f is None for f in fields):
            return None
        found.append(fields)
    return found[0] if found and all(f == found[0] for f in found) else None


def receptive_field(obj):
    """Receptive field of a layer record's output (first call) or a model's first output.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", "W", 3)), sc.Conv2D(8, 7, strides=2, padding=3)])
    >>> receptive_field(m)
    (AxisField(size=7, jump=2, start=-3), AxisField(size=7, jump=2, start=-3))
    """
    model, tensor = _model_and_tensor(obj)
    return _memo(obj, "rf", lambda: tensor_fields(model, tensor))


def input_span(obj, position, padding: bool = False) -> tuple | None:
    """``(first, last)`` input position read by one output position, per spatial axis.

    ``obj`` is a model (its first output) or a layer record; ``position`` is a tuple (or
    list) with the output position along each spatial axis, each an integer (a number or an
    integer symbol; ignored on axes that are no longer spatial); it must lie inside the
    output, else a :class:`~symcnn.errors.CostError` names it. The positions are the input
    positions whose values reach that output (what autograd finds): padding is not read,
    and neither is a position that a crop removed or a strided layer left out when a later
    layer's window covers it with padding. ``first`` and ``last`` are read; with dilations
    or strides, some positions between them may not be. An output that reads padding only
    (along some axis) reads no input: every axis then gives None. None (instead of a tuple)
    where the field is undefined.

    Reflection, replication and circular padding (PyTorch's padding modules, ``F.pad`` and
    ``padding_mode``) hold copies of input positions: those are read, mirrored about the end
    position, the end position itself, or wrapped around to the other end (an output near
    one end of a circular axis then reads both ends, its ``first`` and ``last``). Where the
    sizes are symbols and the window may reach into such padding, it is a ``CostError``:
    substitute numbers.

    >>> import symcnn as sc
    >>> refl = sc.nn.Sequential(sc.nn.ReflectionPad1d(2), sc.nn.Conv1d(1, 1, 3),
    ...                         input_shape=(1, 8))
    >>> input_span(refl, (0,)), input_span(refl, (0,), padding=True)
    (((0, 2),), ((-2, 0),))

    A model of several inputs gives the span where every input that output reads gives the
    same one; where they differ (inputs of their own sizes), a ``CostError`` states each
    input's span.

    ``padding=True`` gives the window instead: the span of the composed windows, padding
    included, in the input's coordinates (what ``receptive_field`` describes: ``start`` and
    ``size`` for output 0); positions outside ``0 .. size - 1`` are padding (zeros, or
    copies of input positions), and positions inside may have been cropped away. It is the
    windows' formula at any integer position, also outside the output.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((10, 1)), sc.Cropping1D(2), sc.Conv1D(1, 3, padding="same")])
    >>> input_span(m, (0,)), input_span(m, (0,), padding=True)
    (((2, 3),), ((1, 3),))
    >>> up = sc.Sequential([sc.Input((1, 16)), sc.Conv1DTranspose(1, 3, strides=2,
    ...                     data_format="channels_first")])
    >>> [input_span(up, (o,)) for o in range(4)]
    [((0, 0),), ((0, 0),), ((0, 1),), ((1, 1),)]

    Symbolic sizes give closed forms (a ``Min`` or ``Max`` where the cut depends on them:
    below, the window ends in the padding for ``H <= 2``); where no closed form here states
    the answer (whether any position is read at all), it raises
    :class:`~symcnn.errors.CostError`: substitute numbers. The repetitions of a ``Repeat``
    are walked one by one: a symbolic count, or one past
    :data:`~symcnn.layers.repeat.MAX_LAYER_CALLS` layer calls, is a ``CostError`` too.

    >>> H = sc.symbols("H")
    >>> strided = sc.Sequential([sc.Input((H, 1)), sc.Conv1D(1, 3, strides=2, padding="same")])
    >>> input_span(strided, (0,), padding=True)
    ((H - 2*ceiling(H/2), H - 2*ceiling(H/2) + 2),)
    >>> input_span(strided, (0,))
    ((0, Min(H - 1, H - 2*ceiling(H/2) + 2)),)
    """
    model, tensor = _model_and_tensor(obj)
    state = _state_of(model, tensor)
    if state is None:
        return None
    if not isinstance(position, (tuple, list)):
        raise CostError(f"input_span: `position` is a tuple with one output position per "
                        f"spatial axis ({len(state)}), e.g. {(0,) * len(state)!r}. "
                        f"Received: position={brief(position)}")
    position = tuple(position)
    if len(position) != len(state):
        raise CostError(f"input_span: give one output position per spatial axis "
                        f"({len(state)}). Received: position={brief(position)}")
    # the window (padding=True) is a formula in the position: also stated outside the output
    seeds, conditions = _checked_position(tensor, state, position, inside=not padding)
    if padding:
        out = []
        for axis, o in zip(state, seeds):
            at = {O: o.first if isinstance(o, Positions) else sympy.Integer(0)}
            out.append((canon(as_expr(axis.lo).xreplace(at)),
                        canon(as_expr(axis.hi).xreplace(at))))
        return tuple(out)
    try:
        return _read_span(model, tensor, state, position, seeds, conditions)
    except Undecided as err:
        raise CostError(f"input_span: which input positions output {position} reads depends "
                        f"on the sizes ({err}); substitute numbers (model.subs(...)) or ask "
                        f"for the window with padding=True. Received: position={brief(position)}"
                        ) from None


# ----------------------------------------------------------------------------- positions read
#
# input_span walks back from the output position: each layer's map (window_for) gives the
# positions of its input that the positions of its output read, which are then cut to the
# input's 0 .. size - 1. Cutting at every tensor, not only at the model input, is what keeps
# a later layer's padding from landing on positions that a crop removed.

_ALL = "all"  # an axis that is no longer spatial: every position of it, where it collapsed


def _checked_position(tensor, state, position, inside: bool = True) -> tuple:
    """The seeds of :func:`_read_span` (one per axis of the field) and the conditions that
    ``position`` lies inside the output; a :class:`~symcnn.errors.CostError` naming the
    position where an entry is no integer or (``inside``) lies outside."""
    seeds, conditions = [], []
    for axis, o in zip(state, position):
        if axis.index is None:
            seeds.append(_ALL)
            continue
        valid = not isinstance(o, bool) and (hasattr(o, "__index__") or
                                             isinstance(o, sympy.Expr))
        o = sympy.Integer(o.__index__()) if valid and not isinstance(o, sympy.Expr) else o
        if not valid or not o.is_integer:
            raise CostError(f"input_span: each entry of `position` is an output position, an "
                            f"integer (a number or an integer symbol). Received: "
                            f"position={brief(position)}")
        seeds.append(Positions.single(o))
        if not inside:
            continue
        size = tensor.shape[axis.index]
        try:
            for needed in (require_at_least(o, 0), require_at_least(size, o + 1)):
                if needed is not None:
                    conditions.append(needed)
        except Infeasible:
            raise CostError(f"input_span: position {o} lies outside the output, which has "
                            f"{size} positions along that axis. Received: "
                            f"position={brief(position)}") from None
    return seeds, conditions


def _read_span(model, tensor, state, position, seeds, conditions) -> tuple:
    conditions = list(model.constraints) + conditions
    facts = Facts(conditions)
    reads = _read_back(model, _states(model), {id(tensor): tuple(seeds)}, facts)
    spans = {}  # per model input read (reads never holds an empty axis: nothing read at all)
    for i, t in enumerate(model.inputs):
        if id(t) in reads:
            name = getattr(t.node.layer, "name", None)
            spans[f"input {i}" + (f" ({name!r})" if name else "")] = tuple(
                (sympy.Integer(min(p)), sympy.Integer(max(p))) if isinstance(p, frozenset)
                else (bound_expr(p.first), bound_expr(p.last)) for p in reads[id(t)])
    if not spans:
        return (None,) * len(state)
    answers = set(spans.values())
    if len(answers) > 1:  # each input has positions of its own: no one span answers
        raise CostError(
            f"input_span: output {position} reads several model inputs, at different positions "
            f"of each ({'; '.join(f'{k}: {v}' for k, v in spans.items())}), and one span "
            f"per axis cannot state them; ask a model with one input. "
            f"Received: position={brief(position)}")
    return answers.pop()


def _read_back(model, states, seeds: dict, facts) -> dict:
    """Positions read per tensor of ``model`` (by ``id``, a tuple with one entry per axis of
    the field), walking back from ``seeds``; ``states`` are the tensors' forward states."""
    reads = dict(seeds)
    for node in reversed(model.nodes):
        if not node.inputs:
            continue
        outs = [reads[id(t)] for t in node.outputs if id(t) in reads]
        if not outs:
            continue
        nested = inner_model(node)
        if nested is not None:
            found = _read_back_block(model, node, nested, states, reads, facts)
        else:
            out = outs[0]
            for other in outs[1:]:
                out = tuple(_unite_axis(a, b, facts) for a, b in zip(out, other))
            shapes = node.input_shapes
            maps = node.layer.window_for(shapes[0] if len(shapes) == 1 else shapes)
            found = [_layer_reads(maps, out, states[id(t)], shape, facts)
                     for t, shape in zip(node.inputs, shapes)]
        for t, got in zip(node.inputs, found):
            if got is not None and None not in got:  # an empty axis: nothing read at all
                have = reads.get(id(t))
                reads[id(t)] = got if have is None else tuple(
                    _unite_axis(a, b, facts) for a, b in zip(have, got))
    return reads


def _unite_axis(a, b, facts):
    if a is _ALL or b is _ALL:
        return _ALL
    return unite(a, b, facts)


def _layer_reads(maps, out, state, shape, facts) -> tuple:
    """Positions of one input (its forward ``state`` and ``shape``) read by ``out``."""
    found = []
    for pos, axis in zip(out, state):
        if axis.index is None:  # collapsed before this layer: passes as it is
            found.append(_ALL)
            continue
        m, size = maps[axis.index], shape[axis.index]
        if pos is _ALL:  # this layer collapses the axis (Flatten, global pooling)
            lo, hi, step = m.reads(sympy.Integer(0), size)
            pos = Positions(lo, hi, step)
        elif m is None:  # passes through; an input of size 1 broadcasts
            pos = pos if pos is None or not (sympy.sympify(size) == 1) else \
                Positions.single(0)
        else:
            pos = positions_through(pos, m, size, facts)
        # padding that copies input positions (reflect, replicate, circular) is mapped back
        found.append(copied(pos, m, size, facts) if isinstance(m, Copied) else
                     clip(pos, size, facts))
    return tuple(found)


def _read_back_block(model, node, nested, states, reads, facts) -> list:
    """The positions of a nested model's (or Repeat's) inputs read by its outputs'
    (``node`` is a call in ``model``)."""
    inner, times = nested
    if not getattr(times, "is_Integer", isinstance(times, int)):
        raise CostError(f"input_span: the positions read through {times} repetitions of a "
                        f"block are not computed for a symbolic count; substitute it "
                        f"(model.subs(...)), or ask for the window with padding=True. "
                        f"Received: times={times}")
    ins = [states[id(t)] for t in node.inputs]
    out = [reads.get(id(t)) for t in node.outputs]
    if int(times) > 1 and len(ins) > 1:
        raise CostError(f"input_span: a block of several inputs runs {times} times. "
                        f"Received: times={times}")
    if int(times) == 0:
        return out[:1] if len(ins) == 1 else [None] * len(ins)
    calls = int(times) * max(unrolled_calls(inner), 1)
    if calls > MAX_LAYER_CALLS:  # walked one by one below (10**9 repetitions: hours)
        raise CostError(f"input_span: {_where(model, node.layer)}: the positions read through "
                        f"{int(times):,} repetitions of a block are found repetition by "
                        f"repetition, {calls:,} layer calls, more than the "
                        f"{MAX_LAYER_CALLS:,} symcnn walks; substitute a smaller count, or "
                        f"ask for the window with padding=True. Received: times={times}")
    # the forward states of every repetition's inputs, then back from the last
    runs, current = [], ins
    for _ in range(int(times)):
        inner_states = _propagate(inner, current)
        runs.append(inner_states)
        current = [inner_states[id(inner.outputs[0])]]
    seeds = {id(t): r for t, r in zip(inner.outputs, out) if r is not None}
    for inner_states in reversed(runs):
        back = _read_back(inner, inner_states, seeds, facts)
        found = [back.get(id(t)) for t in inner.inputs]
        seeds = {id(inner.outputs[0]): found[0]} if found[0] is not None else {}
    return found
