"""The arithmetic of ``Repeat`` over a symbolic count: the solved recurrence of one block on
one input shape (:class:`Steps`), and the windows that stay the same at every repetition.

A message shows a size a repetition receives as ``x`` (``x_0, x_1, ...`` on several axes),
never as an internal name.

>>> import symcnn as sc
>>> steps = Steps(sc.Repeat(sc.Conv2D(8, 3), "L"), (sc.symbols("H"), 32, 3))
>>> steps.size(sc.symbols("L"))
(H - 2*L, 32 - 2*L, 8)
"""

from __future__ import annotations

import re

import sympy

from ..errors import ShapeError, brief
from ..quasipoly import NotQuasiPolynomial, relation_set
from ..recurrence import NoClosedForm, closed_form, kind
from ..render.exprs import show
from ..windows import Window
from .base import Checker, format_shape

__all__ = ["Steps", "probe_sizes", "shown", "constant_window", "collapse_roundings"]


def probe_sizes(rank: int) -> tuple:
    """Sizes of any value, one per axis (``x`` in what a message shows)."""
    return tuple(sympy.Dummy(f"x{i}", integer=True, positive=True) for i in range(rank))


def shown(expr, probe) -> sympy.Expr:
    """``expr`` as a message shows it: the probe sizes as ``x`` (one axis) or ``x_i``."""
    names = ["x"] if len(probe) == 1 else [f"x_{i}" for i in range(len(probe))]
    return sympy.sympify(expr).xreplace({p: sympy.Symbol(n) for p, n in zip(probe, names)})


def constant_window(window, x) -> tuple:
    """``((kernel, stride, dilation, pad_before), None)`` as integers when ``window`` (stated
    on a size ``x`` of any value) is the same window for every ``x >= 1``, else ``(None,
    why)``. Decided exactly (:func:`symcnn.quasipoly.relation_set`), never sampled."""
    if not isinstance(window, Window):
        return None, f"it reads {brief(window)}, not a sliding window"
    values = []
    for field in ("kernel", "stride", "dilation", "pad_before"):
        v = sympy.sympify(getattr(window, field))
        if v.has(x):
            at_one = v.xreplace({x: 1})
            try:
                constant = (v.free_symbols == {x} and at_one.is_Integer
                            and relation_set([sympy.Ne(v, at_one)], x, lo=1).is_empty)
            except NotQuasiPolynomial:
                constant = False
            if not constant:
                why = (" ('same' padding with a stride above 1)" if field == "pad_before"
                       else "")
                return None, (f"its {field} on x positions is {show(shown(v, (x,)))}, which "
                              f"depends on the size x each repetition receives{why}")
            v = at_one
        if not v.is_Integer:
            return None, f"its {field} is {show(v)}, not a number"
        values.append(v)
    return tuple(values), None


class Steps:
    """The solved recurrence of one Repeat on one input shape."""

    def __init__(self, repeat, shape) -> None:
        self.repeat, self.shape = repeat, tuple(shape)
        self.probe = probe_sizes(len(shape))
        inner = Checker()
        try:
            done = repeat.block.compute([self.probe], inner)
        except Exception as err:  # noqa: BLE001 - reported as what it is
            text = str(err)  # the probe sizes named as messages name them (x, x_i)
            for size, name in zip(self.probe, shown(sympy.Tuple(*self.probe), self.probe)):
                text = re.sub(rf"(?<![\w.]){re.escape(str(size))}(?!\w)", str(name), text)
            general = format_shape(shown(sympy.Tuple(*self.probe), self.probe))
            raise ShapeError(f"the block cannot be applied to a general input of its rank, "
                             f"of shape {general}, so its recurrence cannot be solved ({text}). "
                             f"Received: "
                             f"block={brief(repeat._block_name)}") from None
        (out,) = done.output_shapes
        if len(out) != len(shape):
            raise ShapeError(f"the block changes the rank ({format_shape(self.shape)} to "
                             f"{len(out)} axes), so it cannot be repeated a symbolic number of "
                             f"times. Received: block={brief(repeat._block_name)}")
        self.done, self.inner = done, inner
        self.t = sympy.Dummy("t", integer=True, nonnegative=True)
        self.forms = []
        for i, (step, x) in enumerate(zip(out, self.probe)):
            if step.free_symbols & (set(self.probe) - {x}):
                raise ShapeError(f"axis {i} of the block's output, {shown(step, self.probe)} "
                                 f"for an input of sizes {shown(self.probe, self.probe)}, "
                                 f"depends on other axes, so {repeat.times} repetitions have "
                                 f"no closed form here; substitute a number for the count. "
                                 f"Received: block={brief(repeat._block_name)}")
            try:
                form = closed_form(step, x, self.t)
            except NoClosedForm as err:
                raise ShapeError(f"axis {i}: {err}. {repeat.times} repetitions have no "
                                 f"closed form here; substitute a number for the count. "
                                 f"Received: block={brief(repeat._block_name)}, "
                                 f"times={repeat.times}") from None
            self.forms.append((kind(step, x), form.xreplace({x: self.shape[i]})))

    def size(self, t) -> tuple:
        """The shape after ``t >= 1`` repetitions."""
        return tuple(sympy.expand(form.xreplace({self.t: t})) if kind_ != "same" else self.shape[i]
                     for i, (kind_, form) in enumerate(self.forms))

    def _at(self, t) -> dict:
        return {x: v for x, v in zip(self.probe, self.size(t))}

    def conditions(self) -> list:
        """The block's conditions at the first and the last repetition's input (the sizes
        move one way, so these bound every repetition): ``(relation, shown, which)``, the
        relation, the same with its sides left unevaluated (for messages) and ``"first"`` or
        ``"last"``."""
        tables = (("first", dict(zip(self.probe, self.shape))),
                  ("last", self._at(self.repeat.times - 1)))
        out, seen = [], set()
        for relation in self.inner.constraints:
            for which, table in tables:
                value = relation.xreplace(table)
                if value in seen:
                    continue
                seen.add(value)
                shown = value
                if isinstance(relation, sympy.core.relational.Relational):
                    shown = relation.func(sympy.expand(relation.lhs.xreplace(table)),
                                          sympy.expand(relation.rhs.xreplace(table)),
                                          evaluate=False)
                out.append((value, shown, which))
        return out

    def total(self, per_step) -> sympy.Expr:
        """``per_step`` (in the probe sizes) summed over the repetitions ``0..times-1``."""
        first = collapse_roundings(per_step.xreplace(dict(zip(self.probe, self.shape))))
        later = collapse_roundings(per_step.xreplace(self._at(self.t)))
        rest = sympy.summation(later, (self.t, 1, self.repeat.times - 1))
        if not rest.has(sympy.Sum):
            return sympy.expand(first + rest)
        # no closed form: a sum over the repetitions t (counted from 1), as on paper, its
        # index a plain name (never SymPy's dummy, printed _t) and its term in the sizes of
        # repetition t (sum_{t=2}^{L} 2304*ceiling(H/2**t)*ceiling(W/2**t), not
        # ceiling(H/(2*2**_t)) over 1..L - 1)
        taken = {s.name for s in (later.free_symbols - {self.t}) | self.repeat.times.free_symbols}
        index = sympy.Symbol(next(n for n in ("t", "i", "j", "k", "r", "s_t") if n not in taken),
                             integer=True, positive=True)
        term = collapse_roundings(sympy.expand(later.xreplace({self.t: index - 1})))
        if sympy.expand(later.xreplace({self.t: 0}) - first) != 0:  # the first differs (its
            return sympy.expand(first) + sympy.Sum(term, (index, 2, self.repeat.times))  # input)
        return sympy.Sum(term, (index, 1, self.repeat.times))


def collapse_roundings(expr):
    """``floor(floor(y)/n) = floor(y/n)`` and ``ceiling(ceiling(y)/n) = ceiling(y/n)`` for a
    positive integer ``n`` and any real ``y``: nested roundings read as one."""
    def nested(e):
        if not isinstance(e, (sympy.floor, sympy.ceiling)):
            return None
        inner, rest = [], []
        for f in sympy.Mul.make_args(sympy.expand(e.args[0])):
            (inner if isinstance(f, type(e)) else rest).append(f)
        coeff = sympy.Mul(*rest)
        if len(inner) == 1 and coeff.is_Rational and coeff > 0 and (1 / coeff).is_Integer:
            return type(e)(inner[0].args[0] * coeff)
        return None

    previous = None
    while previous != expr:
        previous, expr = expr, expr.replace(lambda e: nested(e) is not None, nested)
    return expr
