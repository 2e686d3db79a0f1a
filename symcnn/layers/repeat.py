"""Repeat: a layer or a block applied a (possibly symbolic) number of times.

A network whose depth is a symbol, such as EfficientNet with a symbolic depth coefficient
(``ceiling(3*d)`` blocks in a stage) or "L valid 3x3 convolutions", cannot be drawn layer by
layer. ``Repeat(block, L)`` states it once:

* a block that keeps its input shape (a residual block) is checked once, and its parameter
  counts are multiplied by the number of repetitions;
* a layer or block that changes the shape has its one-step rule solved
  (:mod:`symcnn.recurrence`): ``L`` valid 3x3 convolutions give ``H - 2*L``, ``L`` 2x2
  poolings ``floor(H/2**L)``, ``L`` stride-2 ``same`` convolutions ``ceiling(H/2**L)``; the
  conditions on the sizes become conditions on ``L`` (``H - 2*L >= 1``), and parameters and
  MACs are sums over the repetitions. A rule without a closed form is an error that says so.

>>> import symcnn as sc
>>> x = sc.Input(("H", "W", 32))
>>> y = sc.Conv2D(32, 3, padding="same")(x)
>>> block = sc.Model(x, sc.Add()([x, y]), name="residual")
>>> m = sc.Sequential([sc.Input(("H", "W", 32)), sc.Repeat(block, "n")])
>>> m.params, m.output_shape
(9248*n, (H, W, 32))
>>> m.subs(n=3).params
27744
>>> m = sc.Sequential([sc.Input(("H", "W", 3)), sc.Repeat(sc.Conv2D(16, 3), "L")])
>>> m.output_shape, m.params
((H - 2*L, -2*L + W, 16), 2320*L - 1872)
>>> m.constraints
[H >= 3, W >= 3, H - 2*L >= 1, -2*L + W >= 1]
"""

from __future__ import annotations

from typing import Any

import sympy

from .. import arith
from ..derivation.blocks import sym
from ..errors import SUBS_HINT, CostError, LayerArgumentError, ShapeError
from ..recurrence import NoClosedForm, closed_form, kind
from ..windows import Window
from ..working import Times
from .base import Checker, Computed, Graph, Layer, apply_layer, format_shape, subs_own
from .core import InputLayer

__all__ = ["Repeat"]


class Repeat(Layer):
    """``block`` (a one-input layer, or a model with one input and one output) ``times`` times.

    ``times`` is a non-negative integer, a symbol name or an integer SymPy expression
    (``ceiling(3*d) - 1``). A block that keeps its input shape counts its parameters
    ``times`` times, and its conditions on the symbols are required even where ``times``
    may be 0 (conservative). A block that changes the shape is repeated at least once
    (``times >= 1`` becomes a condition) and its sizes follow the solved recurrence.

    >>> import symcnn as sc
    >>> x = sc.Input((8, 8, 4))
    >>> block = sc.Model(x, sc.Conv2D(4, 3, padding="same", use_bias=False)(x))
    >>> sc.Sequential([sc.Input((8, 8, 4)), sc.Repeat(block, 0)]).params
    0
    >>> sc.Sequential([sc.Input(("H", "W", 8)), sc.Repeat(sc.MaxPooling2D(2), "L")]).output_shape
    (floor(H/2**L), floor(W/2**L), 8)
    """

    wrapped_arguments = ("block",)

    def __init__(self, block, times, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        graph = isinstance(block, Graph)
        if (not isinstance(block, Layer) or isinstance(block, InputLayer)
                or (graph and (len(block.inputs) != 1 or len(block.outputs) != 1))
                or (not graph and block.n_inputs != 1)):
            raise LayerArgumentError(
                f"Repeat: `block` must be a layer with one input, or a model with one input "
                f"and one output. Received: block={block!r}"
            )
        self._set(block=block, times=self._size(times, "times", minimum=0))

    @property
    def _block_name(self) -> str:
        block = self.block
        return block.display_name if isinstance(block, Graph) else (block.name or block.type_name)

    # -- shapes and parameters ---------------------------------------------------------------

    def compute(self, input_shapes: list, check: Checker) -> Computed:
        for size, minimum, arg, given in self._requirements:
            check.at_least(size, minimum,
                           f"`{arg}` must be at least {minimum}. Received: {arg}={given!r}")
        shape = tuple(input_shapes[0])
        if self.times.is_Integer:
            out, trainable, non_trainable = shape, sympy.Integer(0), sympy.Integer(0)
            for _ in range(int(self.times)):
                done = self.block.compute([out], check)
                (out,) = done.output_shapes
                trainable, non_trainable = (trainable + done.trainable,
                                            non_trainable + done.non_trainable)
            return self._computed(tuple(out), trainable, non_trainable)
        inner = Checker()
        done = self.block.compute([shape], inner)
        (out,) = done.output_shapes
        if len(out) == len(shape) and all(arith.decide_equal(a, b) is True
                                          for a, b in zip(out, shape)):
            # The block's conditions are kept even when ``times`` may be 0: conservative.
            check.constraints.extend(inner.constraints)
            return self._computed(shape, self.times * done.trainable,
                                  self.times * done.non_trainable)
        steps = self._recurrence(shape)
        check.at_least(self.times, 1, f"a block that changes the shape is repeated at least "
                                      f"once. Received: times={self.times}")
        for relation in steps.conditions():
            message = (f"after {self.times} repetitions the block no longer fits its input: "
                       f"{relation} fails. Received: times={self.times}")
            if isinstance(relation, sympy.GreaterThan):
                check.at_least(relation.lhs, relation.rhs, message)
            elif isinstance(relation, sympy.LessThan):
                check.at_least(relation.rhs, relation.lhs, message)
            elif isinstance(relation, sympy.Eq):
                check.equal(relation.lhs, relation.rhs, message)
            elif relation is sympy.false:
                raise ShapeError(message)
            elif relation is not sympy.true:
                check.constraints.append(relation)
        return self._computed(steps.size(self.times), steps.total(steps.done.trainable),
                              steps.total(steps.done.non_trainable))

    def _computed(self, shape, trainable, non_trainable) -> Computed:
        trainable, non_trainable = sympy.expand(trainable), sympy.expand(non_trainable)
        if not self.trainable:
            trainable, non_trainable = sympy.Integer(0), trainable + non_trainable
        return Computed((tuple(shape),), trainable, non_trainable)

    def _recurrence(self, shape) -> "_Steps":
        return _Steps(self, shape)

    def _changes_shape(self, shape) -> bool:
        if self.times.is_Integer:
            return False
        done = self.block.compute([tuple(shape)], Checker())
        (out,) = done.output_shapes
        return not (len(out) == len(shape) and all(arith.decide_equal(a, b) is True
                                                   for a, b in zip(out, shape)))

    # -- what analyses ask -------------------------------------------------------------------

    def inner_graph(self, input_shapes):
        """``(graph, times)``: the block on these shapes, counted ``times`` times when it
        keeps the shape; the repetitions written out when ``times`` is a number; None (the
        Repeat answers itself: ``macs_for``, ``window_for``) for a symbolic number of
        repetitions of a block that changes the shape."""
        shape = tuple(input_shapes[0])
        if self._changes_shape(shape):
            return None
        if self.times.is_Integer:
            return _unrolled(self.block, shape, max(int(self.times), 1)), min(int(self.times), 1)
        return _unrolled(self.block, shape, 1), self.times

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """The sum over the repetitions of one repetition's MACs (symbolic ``times`` and a
        block that changes the shape; otherwise analyses look inside, see inner_graph)."""
        return self._summed(input_shapes, "MACs", lambda node: node.layer.macs_for(
            node.input_shapes, node.outputs[0].shape))

    def activation_elements_for(self, input_shapes, output_shapes) -> sympy.Expr:
        """Every repetition's tensors, summed as :meth:`macs_for` sums its MACs (the last
        repetition's output is the Repeat's); otherwise the output, as any layer."""
        if not self._changes_shape(tuple(input_shapes[0])):  # analyses look inside
            return super().activation_elements_for(input_shapes, output_shapes)
        return self._summed(input_shapes, "activations", lambda node: (
            node.layer.activation_elements_for(node.input_shapes,
                                               [t.shape for t in node.outputs])))

    def _summed(self, input_shapes, what: str, per_node) -> sympy.Expr:
        """``per_node`` over one repetition's layer calls (on the probe sizes), summed over
        the repetitions by the solved recurrence."""
        steps = self._recurrence(tuple(input_shapes[0]))
        probe_graph = (self.block.rebuilt_on([steps.probe]) if isinstance(self.block, Graph)
                       else _unrolled(self.block, steps.probe, 1))
        one = sympy.Integer(0)
        for node in probe_graph.nodes:
            if not node.inputs:
                continue
            if node.layer.inner_graph(node.input_shapes) is not None:
                raise CostError(f"{self._where()}: {what} of a symbolic number of repetitions "
                                f"of a block with nested blocks are not summed; substitute "
                                f"the count. Received: times={self.times}")
            one += per_node(node)
        return steps.total(one)

    def hidden_activations(self, input_shapes) -> str | None:
        """Why the activations inside cannot be scheduled (a symbolic number of repetitions
        of a block that changes the shape), else None."""
        if not self._changes_shape(tuple(input_shapes[0])):
            return None
        return (f"{self._where()}: the activations of {self.times} repetitions of a block "
                f"that changes the shape are not scheduled one by one; substitute the count "
                f"{SUBS_HINT} for the peak memory. "
                f"Received: times={self.times}")

    def saved_for_backward(self, input_shapes, output_shapes):
        """Training memory looks inside a Repeat (:meth:`inner_graph`); it asks the Repeat
        itself only for a symbolic number of repetitions of a block that changes the shape,
        whose tensors differ from one repetition to the next: there, substitute the count."""
        raise CostError(f"{self._where()}: what {self.times} repetitions of a block that "
                        f"changes the shape keep for backward is not counted repetition by "
                        f"repetition; substitute the count {SUBS_HINT} for the training "
                        f"memory. Received: times={self.times}")

    def window_for(self, input_shape):
        """``L`` windows of kernel ``k`` (extent ``e``), stride ``s`` and padding ``p`` read
        one window of extent ``1 + (e - 1)*(s**L - 1)/(s - 1)`` (``1 + L*(e - 1)`` for
        ``s = 1``), stride ``s**L`` and padding ``p*(s**L - 1)/(s - 1)`` (or ``L*p``)."""
        if isinstance(self.block, Graph):
            raise CostError(f"{self._where()}: the receptive field of a symbolic number of "
                            f"repetitions is stated for a single window layer, not a block; "
                            f"substitute the count. Received: block={self._block_name!r}")
        maps = self.block.window_for(input_shape)
        if maps is None:
            return None
        L, out = self.times, []
        for m in maps:
            if m is None or not getattr(m, "defined", True):  # channels: not a window
                out.append(m)
                continue
            if not isinstance(m, Window) or not all(sympy.sympify(v).is_Integer for v in (
                    m.kernel, m.stride, m.dilation, m.pad_before)):
                raise CostError(f"{self._where()}: {m} repeated {L} times has no window "
                                f"stated here. Received: block={self._block_name!r}")
            extent, s = m.dilation * (m.kernel - 1) + 1, sympy.Integer(m.stride)
            grow = L if s == 1 else (s**L - 1) / (s - 1)
            out.append(Window(sympy.expand(1 + (extent - 1) * grow), s**L, 1,
                              sympy.expand(m.pad_before * grow)))
        return tuple(out)

    def derivation_for(self, b, input_shapes, output_shape):
        T, P = sym("T"), sym("P_block")
        shape = tuple(input_shapes[0])
        if self._changes_shape(shape):
            b.note("The block changes the shape: its one-step rule is solved for T "
                   "repetitions, and its parameters are summed over them.")
            return None, {}
        block = self.block.compute([shape], Checker())
        b.note("The block keeps its input shape; its parameters count T times.")
        return Times(T, P), {T: self.times, P: block.params}

    def subs(self, mapping: dict) -> "Repeat":
        """The same repetition with symbols replaced in the count and inside the block."""
        block = subs_own(self.block, mapping)
        times = self.times.xreplace(mapping)
        if block is self.block and times == self.times:
            return self
        return Repeat(block, sympy.expand(times) if times.is_number else times,
                      name=self.name, trainable=self.trainable)

    @property
    def free_symbols(self) -> set:
        return set(self.times.free_symbols) | self.block.free_symbols

    def __repr__(self) -> str:
        """A layer block with its arguments (``Repeat(block=Conv2D(filters=16, ...),
        times=L)``), a model block by its name."""
        block = repr(self._block_name) if isinstance(self.block, Graph) else repr(self.block)
        return f"Repeat(block={block}, times={self.times})"


def _model_class():
    """The one implementation of :class:`Graph` (``symcnn.Model``), without importing it."""
    return next(c for c in Graph.__subclasses__() if hasattr(c, "rebuilt_on"))


def _unrolled(block, shape, times: int):
    """A model of ``block`` applied ``times`` times to an input of ``shape``."""
    x = apply_layer(InputLayer(tuple(shape)), []).outputs[0]
    y = x
    for i in range(times):
        if isinstance(block, Graph):  # its own copy on each input shape
            y = block.rebuilt_on([y.shape])(y)
        else:  # a fresh copy of the layer: a shared layer would need equal inputs
            config = block.get_config()
            if block.name is not None:
                config["name"] = f"{block.name}_{i + 1}" if times > 1 else block.name
            y = type(block)(**config)(y)
    return _model_class()(x, y)


class _Steps:
    """The solved recurrence of one Repeat on one input shape."""

    def __init__(self, repeat: Repeat, shape) -> None:
        self.repeat, self.shape = repeat, tuple(shape)
        self.probe = tuple(sympy.Dummy(f"x{i}", integer=True, positive=True)
                           for i in range(len(shape)))
        inner = Checker()
        try:
            done = repeat.block.compute([self.probe], inner)
        except Exception as err:  # noqa: BLE001 - reported as what it is
            raise ShapeError(f"the block cannot be applied to a general input of its rank, so "
                             f"its recurrence cannot be solved ({err}). Received: "
                             f"block={repeat._block_name!r}") from None
        (out,) = done.output_shapes
        if len(out) != len(shape):
            raise ShapeError(f"the block changes the rank ({format_shape(self.shape)} to "
                             f"{len(out)} axes), so it cannot be repeated a symbolic number of "
                             f"times. Received: block={repeat._block_name!r}")
        self.done, self.inner = done, inner
        self.t = sympy.Dummy("t", integer=True, nonnegative=True)
        self.forms = []
        for i, (step, x) in enumerate(zip(out, self.probe)):
            if step.free_symbols & (set(self.probe) - {x}):
                raise ShapeError(f"axis {i} of the block's output depends on other axes "
                                 f"({step}), so the repetition has no closed form. "
                                 f"Received: block={repeat._block_name!r}")
            try:
                form = closed_form(step, x, self.t)
            except NoClosedForm as err:
                raise ShapeError(f"axis {i}: {err}. Received: block={repeat._block_name!r}, "
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
        move one way, so these bound every repetition)."""
        first = dict(zip(self.probe, self.shape))
        last = self._at(self.repeat.times - 1)
        out = []
        for relation in self.inner.constraints:
            for table in (first, last):
                out.append(relation.xreplace(table))
        return list(dict.fromkeys(out))

    def total(self, per_step) -> sympy.Expr:
        """``per_step`` (in the probe sizes) summed over the repetitions ``0..times-1``."""
        first = _collapse(per_step.xreplace(dict(zip(self.probe, self.shape))))
        later = _collapse(per_step.xreplace(self._at(self.t)))
        rest = sympy.summation(later, (self.t, 1, self.repeat.times - 1))
        if not rest.has(sympy.Sum) or sympy.expand(later.xreplace({self.t: 0}) - first) != 0:
            return sympy.expand(first + rest)
        # no closed form: one sum over the repetitions t = 1..times, as on paper
        # (sum_{t=1}^{L} 2304*ceiling(H/2**t)*ceiling(W/2**t)), not a first term plus a sum
        # over a dummy from 1 to times - 1
        taken = {s.name for s in (later.free_symbols - {self.t}) | self.repeat.times.free_symbols}
        index = sympy.Symbol(next(n for n in ("t", "i", "j", "k", "r", "s_t") if n not in taken),
                             integer=True, positive=True)
        term = _collapse(sympy.expand(later.xreplace({self.t: index - 1})))
        return sympy.Sum(term, (index, 1, self.repeat.times))


def _collapse(expr):
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
