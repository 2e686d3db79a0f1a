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

A numeric count is no different for a block that keeps the shape: the block is checked once
and counted ``times`` times, so ``Repeat(block, 10**9)`` answers as fast as ``Repeat(block,
L)``. A block that changes the shape is written out repetition by repetition when the count is
a number, up to :data:`MAX_LAYER_CALLS` layer calls (the bound of model files); a larger count
is refused with the advice to keep it a symbol. The calls are those written out
(:func:`written_calls`, which model files count too): a block that keeps the shape inside a
repetition is checked once there, whatever its count.

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
((H - 2*L, W - 2*L, 16), 2320*L - 1872)
>>> m.constraints
[H >= 3, W >= 3, H - 2*L >= 1, -2*L + W >= 1]
"""

from __future__ import annotations

from typing import Any

import sympy

from .. import arith
from ..derivation.blocks import layers_sum, sym
from ..errors import (SUBS_HINT, CostError, LayerArgumentError, ShapeError, SymcnnError,
                      with_context)
from ..windows import Window
from ..working import Times
from .base import (Checker, Computed, Graph, Layer, apply_layer, called_on, format_shape,
                   subs_own)
from .core import InputLayer
from ..render.exprs import show
from .repeat_steps import Steps, constant_window, probe_sizes

__all__ = ["Repeat", "MAX_LAYER_CALLS", "repeats", "unrolled_calls", "written_calls",
           "calls_text", "repeat_counts"]

#: Most layer calls a numeric count of a block that changes the shape is written out to, and
#: the bound of model files (:mod:`symcnn.spec_export` and the reader take it from here, as
#: many as a file of written-out layers could hold), counted by :func:`written_calls`. A
#: block that keeps the shape is never written out, whatever its count.
MAX_LAYER_CALLS = 100_000


def calls_text(calls: int, exact: bool) -> str:
    """A count of layer calls as messages give it, ``exact`` False: a lower bound.

    >>> calls_text(120000, True), calls_text(100001, False)
    ('120,000', 'at least 100,001')
    """
    return f"{calls:,}" if exact else f"at least {calls:,}"


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

    def check_input_shapes(self, input_shapes, name: str | None = None,
                           index: int | None = None) -> None:
        """The first repetition is a call of the block on ``input_shapes``: a model block
        checks them against its input (:meth:`symcnn.Model.check_input_shapes`); the later
        repetitions rebuild it on what they receive."""
        if self.times == 0:
            return
        try:
            self.block.check_input_shapes(input_shapes)
        except SymcnnError as err:
            raise with_context(err, called_on(self, input_shapes, name, index),
                               nested=True) from None

    @property
    def _block_name(self) -> str:
        block = self.block
        return block.display_name if isinstance(block, Graph) else (block.name or block.type_name)

    # -- shapes and parameters ---------------------------------------------------------------

    def compute(self, input_shapes: list, check: Checker) -> Computed:
        for size, minimum, arg, given in self._requirements:
            check.at_least(size, minimum,
                           f"`{arg}` must be at least {minimum}. Received: {arg}={given!r}")
        shape, times = tuple(input_shapes[0]), self.times
        if times == 0:  # nothing runs: the input passes through, unchecked
            return self._computed(shape, sympy.Integer(0), sympy.Integer(0))
        inner = Checker()
        done = self._repetition(1, shape, inner)
        (out,) = done.output_shapes
        if _same_shape(out, shape):
            # every repetition is this one; its conditions are kept even when ``times`` may
            # be 0 (conservative)
            check.constraints.extend(inner.constraints)
            return self._computed(shape, times * done.trainable, times * done.non_trainable)
        if times.is_Integer:
            self._check_written_calls(shape)
            check.constraints.extend(inner.constraints)
            trainable, non_trainable = done.trainable, done.non_trainable
            for k in range(2, int(times) + 1):
                done = self._repetition(k, out, check)
                (out,) = done.output_shapes
                trainable, non_trainable = (trainable + done.trainable,
                                            non_trainable + done.non_trainable)
            return self._computed(tuple(out), trainable, non_trainable)
        steps = self._recurrence(shape)
        check.at_least(times, 1, f"a block that changes the shape is repeated at least "
                                 f"once. Received: times={times}")
        for relation, stated, which in steps.conditions():
            message = (f"after {times} repetitions the block no longer fits its input: "
                       f"{stated} fails. Received: times={times}")
            if relation is sympy.false:
                symbols = ", ".join(sorted(str(v) for v in stated.free_symbols))
                values = f"no admissible value of {symbols}" if symbols else "no value"
                received = shape if which == "first" else steps.size(times - 1)
                raise ShapeError(f"the block does not fit the input of its {which} repetition, "
                                 f"{format_shape(received)}: it needs {stated}, which "
                                 f"{values} satisfies. Received: times={times}")
            if isinstance(relation, sympy.GreaterThan):
                check.at_least(relation.lhs, relation.rhs, message)
            elif isinstance(relation, sympy.LessThan):
                check.at_least(relation.rhs, relation.lhs, message)
            elif isinstance(relation, sympy.Eq):
                check.equal(relation.lhs, relation.rhs, message)
            elif relation is not sympy.true:
                check.constraints.append(relation)
        return self._computed(steps.size(times), steps.total(steps.done.trainable),
                              steps.total(steps.done.non_trainable))

    def _check_written_calls(self, shape) -> None:
        """Refuse to write out more than :data:`MAX_LAYER_CALLS` layer calls (a numeric count
        of a block that changes the shape), counted as :func:`written_calls` counts them:
        a block that keeps the shape inside a repetition is checked once, whatever its
        count. Counted one repetition after another only where the bound could be passed."""
        times = int(self.times)
        if times * max(unrolled_calls(self.block), 1) <= MAX_LAYER_CALLS:
            return  # the calls without looking at shapes: never fewer than those written out
        calls, exact = written_calls(self, [shape])
        if calls > MAX_LAYER_CALLS:
            counted = calls_text(calls, exact)
            raise ShapeError(
                f"`times` is too large for a block that changes the shape: {times:,} "
                f"repetitions of {self._block_name!r} are written out one by one, "
                f"{counted} layer calls, more than the {MAX_LAYER_CALLS:,} symcnn writes out "
                f"(as in model files). Give the count as a symbol, Repeat(block, 'L'), for "
                f"closed forms in L, and substitute the number in those "
                f"(model.params.subs(L, {self.times})). Received: times={self.times}")

    def _written_calls(self, shape, limit: int) -> tuple:
        """``(calls, exact)`` of :func:`written_calls` for this Repeat on ``shape``."""
        if self.times == 0:
            return 0, True
        try:
            changes = self.changes_shape(shape)
        except SymcnnError:  # the block does not fit: building reports it, with its place
            return max(written_calls(self.block, None, limit)[0], 1), True
        if not changes or not self.times.is_Integer:  # the block checked once
            calls, exact = written_calls(self.block, [shape], limit)
            return max(calls, 1), exact
        times = int(self.times)
        if _same_calls_on_any_input(self.block):
            return times * max(unrolled_calls(self.block), 1), True
        fewest = max(_fewest_calls(self.block), 1)  # a repetition writes out at least these
        total = 0
        for done in range(1, times + 1):  # each repetition on the shape it receives
            if total + (times - done + 1) * fewest > limit:  # past the limit whatever comes
                return total + (times - done + 1) * fewest, False
            calls, exact = written_calls(self.block, [shape], limit - total)
            calls = max(calls, 1)
            total += calls
            if total > limit:
                return total + (times - done) * fewest, exact and done == times
            try:
                (out,) = self.block.compute([shape], Checker()).output_shapes
            except SymcnnError:  # building reports where the block fails
                return total, True
            if tuple(out) == shape:  # a fixed point: every later repetition is this one
                return total + (times - done) * calls, True
            shape = tuple(out)
        return total, True

    def _repetition(self, k: int, shape, check: Checker) -> Computed:
        """The block's ``k``-th repetition, on ``shape``; an error names it (``repetition 2
        of 3 (Functional layer 'stem' on input shape (8, 8, 8))``)."""
        try:
            return self.block.compute([shape], check)
        except SymcnnError as err:
            where = f"repetition {k} of {self.times} ({called_on(self.block, [shape])})"
            raise with_context(err, where, nested=True) from None

    def _computed(self, shape, trainable, non_trainable) -> Computed:
        trainable, non_trainable = sympy.expand(trainable), sympy.expand(non_trainable)
        if not self.trainable:
            trainable, non_trainable = sympy.Integer(0), trainable + non_trainable
        return Computed((tuple(shape),), trainable, non_trainable)

    def _recurrence(self, shape) -> Steps:
        return Steps(self, shape)

    def changes_shape(self, shape) -> bool:
        """Whether one repetition changes ``shape`` (never, when nothing repeats)."""
        if self.times == 0:
            return False
        done = self.block.compute([tuple(shape)], Checker())
        (out,) = done.output_shapes
        return not _same_shape(out, shape)

    # -- what analyses ask -------------------------------------------------------------------

    def inner_graph(self, input_shapes):
        """``(graph, times)``: one repetition of a block that keeps the shape, counted
        ``times`` times whatever ``times`` is (no repetition: an empty graph, counted 0
        times); the repetitions written out, counted once, for a numeric number of a block
        that changes the shape; None (the Repeat answers itself: ``macs_for``,
        ``window_for``) for a symbolic number of repetitions of a block that changes it."""
        shape = tuple(input_shapes[0])
        if self.times == 0:
            return _unrolled(self.block, shape, 0), 0
        if not self.changes_shape(shape):
            return _unrolled(self.block, shape, 1), self.times
        if self.times.is_Integer:
            return _unrolled(self.block, shape, int(self.times)), 1
        return None

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """The sum over the repetitions of one repetition's MACs (symbolic ``times`` and a
        block that changes the shape; otherwise analyses look inside, see inner_graph)."""
        return self._summed(input_shapes, "MACs", lambda node: node.layer.macs_for(
            node.input_shapes, node.outputs[0].shape))

    def ptflops_ops_for(self, input_shapes, output_shape) -> sympy.Expr:
        """What ptflops counts beyond the MACs (bias adds, activations), summed over the
        repetitions as :meth:`macs_for` sums the MACs (it was 0: the FLOPs of a symbolic
        count of a block that changes the shape were its MACs alone)."""
        return self._summed(input_shapes, "FLOPs", lambda node: node.layer.ptflops_ops_for(
            node.input_shapes, node.outputs[0].shape))

    def activation_elements_for(self, input_shapes, output_shapes) -> sympy.Expr:
        """Every repetition's tensors, summed as :meth:`macs_for` sums its MACs (the last
        repetition's output is the Repeat's); otherwise the output, as any layer."""
        if not self.changes_shape(tuple(input_shapes[0])):  # analyses look inside
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
        if not self.changes_shape(tuple(input_shapes[0])):
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
        ``s = 1``), stride ``s**L`` and padding ``p*(s**L - 1)/(s - 1)`` (or ``L*p``).

        That needs the same window at every repetition, whatever size it receives: ``same``
        padding with a stride above 1 pads by an amount that depends on the size (3-wide
        windows with stride 3 pad 1 before 28 positions and none before 84), so there the
        count must be substituted."""
        if isinstance(self.block, Graph):
            raise CostError(f"{self._where()}: the receptive field of a symbolic number of "
                            f"repetitions is stated for a single window layer, not a block; "
                            f"substitute the count {SUBS_HINT}. "
                            f"Received: block={self._block_name!r}")
        maps = self.block.window_for(input_shape)
        if maps is None:
            return None
        probe = probe_sizes(len(input_shape))
        try:
            general = self.block.window_for(probe)  # the window on sizes of any value
        except (CostError, ShapeError, LayerArgumentError):
            general = (None,) * len(maps)
        L, out = self.times, []
        for axis, (m, g) in enumerate(zip(maps, general)):
            if m is None or not getattr(m, "defined", True):  # channels: not a window
                out.append(m)
                continue
            values, varying = constant_window(g, probe[axis])
            if values is None:
                raise CostError(
                    f"{self._where()}: the receptive field of {L} repetitions of "
                    f"{self._block_name!r} needs one window that every repetition shares, but "
                    f"along axis {axis} {varying}; substitute the count {SUBS_HINT} for the "
                    f"receptive field. Received: block={self._block_name!r}, times={L}")
            kernel, s, dilation, pad = values
            extent = dilation * (kernel - 1) + 1
            grow = L if s == 1 else (s**L - 1) / (s - 1)
            out.append(Window(sympy.expand(1 + (extent - 1) * grow), s**L, 1,
                              sympy.expand(pad * grow)))
        return tuple(out)

    def derivation_for(self, b, input_shapes, output_shape):
        R, P = sym("R"), sym("P_block")  # R repetitions (T is a sequence's time steps)
        shape = tuple(input_shapes[0])
        if self.times == 0:
            b.note("The block is repeated 0 times: the input passes through.")
            return sympy.Integer(0), {}
        if self.changes_shape(shape):
            if not self.times.is_Integer:
                b.note(f"The block changes the shape: its one-step rule is solved for the "
                       f"number of repetitions ({show(self.times)}), and its parameters are "
                       f"summed over them.")
                return None, {}
            b.note(f"The block changes the shape: its {self.times} repetitions are applied "
                   f"one after another, each to the previous one's output.")
            written, _ = self.inner_graph(input_shapes)
            return layers_sum(b, [(f"repetition {i}", r.type, r.params, r.non_trainable_params)
                                  for i, r in enumerate(written._records, 1)])
        block = self.block.compute([shape], Checker())
        b.note("The block keeps its input shape; its parameters count R times.")
        return Times(R, P), {R: self.times, P: block.params}

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


def _same_shape(out, shape) -> bool:
    return len(out) == len(shape) and all(arith.decide_equal(a, b) is True
                                          for a, b in zip(out, shape))


def repeats(layer, wraps: tuple) -> int:
    """How many times a wrapping layer runs what it wraps: a numeric ``times`` (``Repeat``),
    else once (a symbolic count is solved once, not unrolled)."""
    times = getattr(layer, "times", None) if wraps else None
    return int(times) if isinstance(times, sympy.Integer) else 1


def unrolled_calls(layer) -> int:
    """The layer calls ``layer`` is written out to at most, shapes aside: a model's calls
    summed, a numeric ``Repeat`` count times its block's, the layers a layer wraps
    (``Bidirectional``'s) each counted. Never fewer than :func:`written_calls`, which looks
    at the shapes (a block that keeps them is checked once) and is the bound's measure."""
    if isinstance(layer, Graph):
        return sum(unrolled_calls(node.layer) for node in layer.nodes if node.inputs)
    inner = sum(unrolled_calls(v) for v in _wrapped_layers(layer))
    return repeats(layer, type(layer).wrapped_arguments) * max(inner, 1)


def repeat_counts(layer) -> frozenset:
    """The symbols counting the repetitions of the ``Repeat`` layers in ``layer`` (a model,
    at any depth: ``L`` of ``sc.Repeat(block, "L")``): counts take small values, sizes such
    as 224, which the solvers' hints say.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", 8)), sc.Repeat(sc.MaxPooling1D(2), "L")])
    >>> sorted(map(str, repeat_counts(m)))
    ['L']
    """
    found: set = set()
    stack, seen = [layer], set()
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        if isinstance(layer, Repeat):
            found |= sympy.sympify(layer.times).free_symbols
        if isinstance(layer, Graph):
            stack.extend(node.layer for node in layer.nodes)
        stack.extend(_wrapped_layers(layer))
    return frozenset(found)


def _wrapped_layers(layer) -> list:
    """The layers (or models) ``layer`` wraps: the values of its ``wrapped_arguments``
    (``Repeat``'s block, ``Bidirectional``'s layers)."""
    return [v for v in (getattr(layer, a, None) for a in type(layer).wrapped_arguments)
            if isinstance(v, Layer)]


def written_calls(layer, input_shapes=None, limit: int = MAX_LAYER_CALLS) -> tuple:
    """``(calls, exact)``: the layer calls building ``layer`` on ``input_shapes`` writes
    out, the measure of :data:`MAX_LAYER_CALLS` in Python (``Repeat``) and in model files
    (the reader's count, entry by entry, and the writer's). A model's calls are summed, each
    layer on the shapes it receives; a layer a layer wraps (``Bidirectional``'s) counts once;
    a ``Repeat`` counts as it builds: nothing for a count of 0, its block once when the block
    keeps the shape (whatever the count) or the count is a symbol, and every repetition, each
    on the shape it receives, for a numeric count of a block that changes the shape. So a
    shape-changing ``Repeat`` around ``Repeat(residual_block, 10**9)`` counts the residual
    block once per repetition. Without ``input_shapes`` (a layer not applied: its build
    fails before) a ``Repeat`` counts its block once.

    Where the repetitions are walked one by one (a block holding numeric counts of its own),
    counting stops as soon as the calls are sure to pass ``limit``: ``exact`` is then False
    and ``calls`` a lower bound, more than ``limit``; else ``calls`` is exact.

    >>> import symcnn as sc
    >>> kept, changed = sc.Repeat(sc.Dense(8), 10**9), sc.Repeat(sc.Dense(8), 1000)
    >>> written_calls(kept, [(8,)]), written_calls(changed, [(4,)])
    ((1, True), (1000, True))
    >>> H, W = sc.symbols("H W")
    >>> x = sc.Input((H, W, 8))
    >>> residual = sc.Model(x, sc.Add()([x, sc.Conv2D(8, 3, padding="same")(x)]))
    >>> stage = sc.Sequential([sc.Input((H, W, 8)), sc.Repeat(residual, 10**9),
    ...                        sc.Conv2D(8, 3, strides=2, padding="same")])
    >>> written_calls(sc.Repeat(stage, 3), [(H, W, 8)])  # 3 x (Conv2D, Add; Conv2D)
    (9, True)
    >>> written_calls(sc.Repeat(changed, 10**9), [(4,)])  # each repetition 1 call or more
    (1000000000, False)
    """
    if isinstance(layer, Graph):
        graph = layer
        if input_shapes is not None:
            try:
                graph = layer.rebuilt_on(input_shapes)
            except SymcnnError:  # building reports it, with its place
                graph = layer
        total = 0
        for node in graph.nodes:
            if node.inputs:
                calls, exact = written_calls(node.layer, node.input_shapes, limit - total)
                total += calls
                if total > limit:
                    return total, exact
        return total, True
    if isinstance(layer, Repeat) and input_shapes is not None and len(input_shapes) == 1:
        return layer._written_calls(tuple(input_shapes[0]), limit)
    total = 0
    for value in _wrapped_layers(layer):
        calls, exact = written_calls(value, None, limit - total)
        total += calls
        if total > limit:
            return total, exact
    return (0 if isinstance(layer, Repeat) and layer.times == 0 else max(total, 1)), True


def _same_calls_on_any_input(layer) -> bool:
    """Whether ``layer`` writes out the same calls on any input: it holds no numeric
    ``Repeat`` count above 1 (whether such a block is written out depends on its input)."""
    if isinstance(layer, Graph):
        return all(_same_calls_on_any_input(n.layer) for n in layer.nodes if n.inputs)
    if isinstance(layer, Repeat) and layer.times.is_Integer and layer.times > 1:
        return False
    return all(_same_calls_on_any_input(v) for v in _wrapped_layers(layer))


def _fewest_calls(layer) -> int:
    """The fewest layer calls ``layer`` writes out on any input (:func:`written_calls`): a
    numeric ``Repeat`` count as if its block kept the shape, checked once."""
    if isinstance(layer, Graph):
        return sum(_fewest_calls(n.layer) for n in layer.nodes if n.inputs)
    if isinstance(layer, Repeat) and layer.times == 0:
        return 0
    return max(sum(_fewest_calls(v) for v in _wrapped_layers(layer)), 1)


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
