"""A layer on given input shapes (:class:`Context`), the mistaken recomputations of it that
:func:`~symcnn.teach.check.check` tries, and the model replayed with a pooling layer left out
(``before_pooling``), within the bounds that keep marking a deep model's table fast.

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3)])
>>> ctx = Context(m, m.nodes[1], [(8, 8, 3)], replay=True)
>>> ctx.correct.params, [code for code, _ in ctx.variants()][:2]
(112, ['missing_bias', 'same_as_valid'])
"""

from __future__ import annotations

import itertools

import sympy

from ..layers.core import InputLayer
from ..model import Model
from ..derivation.blocks import input_names
from ..errors import SymcnnError
from ..working import Ceiling, Floor, Given
from .diagnoses import Outcome, probe, variants

__all__ = ["Context", "as_shapes", "MAX_VARIANTS", "MAX_REPLAYED_LAYERS"]

#: Bounds of the search for a diagnosis, so that a table of wrong rows of a deep model is
#: marked in seconds: at most this many mistaken recomputations per layer (the catalogue
#: gives up to about 10), and a pooling layer is left out (``before_pooling``) only when at
#: most this many layers between it and the row have to be built again. A slip beyond them
#: is ``unexplained``; the rows after it are still ``carried`` from the student's own values.
MAX_VARIANTS = 32
MAX_REPLAYED_LAYERS = 24


def as_shapes(shape) -> list:
    """A layer's output shape as a list of shapes (a layer with several outputs has one)."""
    return shape if isinstance(shape, list) else [shape]


def _is_pooling(layer) -> bool:
    return "Pooling" in layer.type_name


class Context:
    """A layer on given input shapes, with lazy access to its correct outcome."""

    def __init__(self, model: Model, node, inputs: list, replay: bool) -> None:
        self.model, self.node, self.layer = model, node, node.layer
        self.inputs = [tuple(s) for s in inputs]
        self.correct: Outcome | None = probe(self.layer, self.inputs)
        self._replay = replay
        self._variants: list | None = None
        if self.correct is None and not replay and _fractional(self.inputs):
            # a student's unfloored size carried on (10/3): no layer builds on it, so the
            # layer's own formulas are evaluated there, with and without their roundings
            self.correct, self._variants = _by_formulas(model, node, self.inputs)

    def variants(self) -> list:
        """``(code, Outcome)`` of each mistaken recomputation (computed once, for both
        quantities), at most :data:`MAX_VARIANTS` of them."""
        if self._variants is None:
            self._variants = list(itertools.islice(variants(self), MAX_VARIANTS))
        return self._variants

    def without_pooling(self):
        """The layer's outcome when one upstream pooling layer is left out (nearest first)."""
        if not self._replay:
            return
        for pool in _upstream_pooling(self.node):
            yield _replay(self.model, pool, self.node)


_ROUNDINGS = (Floor, Ceiling, sympy.floor, sympy.ceiling)


def _fractional(inputs) -> bool:
    return any(sympy.sympify(d).is_number and not sympy.sympify(d).is_Integer
               for shape in inputs for d in shape)


def _by_formulas(model: Model, node, inputs) -> tuple:
    """``(correct, [("no_floor", outcome)])`` of ``node``'s layer on ``inputs`` with a
    non-integer size: its derivation's formulas (``floor((H_in + 2*P_h - K_h)/S_h) + 1``) at
    the student's input sizes (``H_in``, ``W_in``, ``C_in``, ``N_in`` by position, as the
    layer's data format orders them), the other values as bound; ``(None, [])`` where the
    formulas do not say it (a layer with several inputs, a size without a formula).

    The formulas are trusted only where they are the layer's own rule: at whole sizes next
    to the student's (4 for 10/3), they must give what the layer itself builds. A layer
    whose derivation names no formula for a size it moves (``Permute``) or reads a size
    under another name (``Reshape``'s element count) fails that and gives no credit.

    The correct outcome's working reads as a derivation step does (``key = formula =
    working = value``); the ``no_floor`` one names the sizes it changes, as the ``no_floor``
    variant on whole sizes does (``W_out = (10/3 + 2*0 - 2)/1 + 1 = 7/3``).
    """
    record = next((r for r in model._records if r.node is node), None)
    if record is None or len(inputs) != 1 or len(node.outputs) != 1:
        return None, []
    try:
        derivation = record.derivation
    except SymcnnError:  # a layer that states no derivation: no carried credit here
        return None, []
    (student,) = inputs
    true_in, true_out = tuple(node.inputs[0].shape), tuple(node.outputs[0].shape)
    first = _channels_first(node.layer, derivation, true_in)
    if first is None or len(student) != len(true_in):
        return None, []
    names = [str(n) for n in input_names(len(student), first)]
    out_names = [n.replace("_in", "_out") for n in map(str, input_names(len(true_out), first))]

    def worked(sizes, strip: bool):
        """``(shape, params, [(key, formula, working, value)])`` at input ``sizes``, or None."""
        given = dict(zip(names, sizes))
        shape = list(sizes) if len(sizes) == len(true_out) else list(true_out)
        steps, params = [], None
        for step in derivation.steps:
            formula = step.formula
            if step.key == "non_trainable":
                continue  # a part of the count, not a size
            if formula is None:
                return None
            if strip:
                formula = formula.replace(lambda e: isinstance(e, _ROUNDINGS), lambda e: e.args[0])
            working = formula.xreplace({k: Given(given.get(str(k), v)) for k, v in step.bindings})
            value = sympy.nsimplify(working.doit())
            if not value.is_number:
                return None
            steps.append((step.key, formula, working, value))
            if step.key == "params":
                params = value
            elif step.key in out_names:
                shape[out_names.index(step.key)] = value
            else:
                return None
        return None if params is None else (tuple(shape), params, steps)

    right = worked(student, False)
    if right is None:
        return None, []
    # whole sizes next to the student's, each off the true one (so that a size the formulas
    # read under another name shows): the formulas must give what the layer builds there
    point = [d if sympy.sympify(d).is_Integer else
             sympy.ceiling(d) if sympy.ceiling(d) != t else sympy.floor(d)
             for d, t in zip(student, true_in)]
    built, worked_there = probe(node.layer, [tuple(point)]), worked(point, False)
    if built is None or worked_there is None or \
            not _same(built.output_shape, worked_there[0]) or \
            sympy.sympify(built.params) != worked_there[1]:
        return None, []

    def text(parts) -> str:
        out = [parts[0]]
        for part in map(_shown, parts[1:]):
            if part != out[-1]:  # C_out = F = 4, not F = 4 = 4
                out.append(part)
        return " = ".join(out)

    unfloored = worked(student, True)
    shape, params, steps = right
    sizes = [text(step) for step in steps if step[0] != "params"]
    correct = Outcome(shape, params, {"output_shape": "; ".join(sizes),
                                      "params": next(text(s) for s in steps
                                                     if s[0] == "params")})
    if unfloored is None or unfloored[0] == shape:
        return correct, []
    changed = [text((key, working, value)) for (key, _, working, value), old
               in zip(unfloored[2], steps) if key != "params" and value != old[3]]
    return correct, [("no_floor", Outcome(unfloored[0], params,
                                          {"output_shape": "; ".join(changed)}))]


def _channels_first(layer, derivation, true_in) -> bool | None:
    """Whether the derivation names the input sizes channels first (``C_in*H_in*W_in`` of a
    PyTorch ``Flatten``): the layer's data format, else the order its bindings fit (each
    ``H_in``, ``C_in`` bound to the true size at its position); None when neither fits."""
    bound = {str(k): v for step in derivation.steps for k, v in step.bindings}
    said = getattr(layer, "data_format", None) == "channels_first"
    for first in (said, not said):
        names = map(str, input_names(len(true_in), first))
        if all(sympy.sympify(bound[n]) == sympy.sympify(t)
               for n, t in zip(names, true_in) if n in bound):
            return first
    return None


def _same(shape, other) -> bool:
    shape = as_shapes(shape)[0]
    return len(shape) == len(other) and all(sympy.sympify(a) == sympy.sympify(b)
                                            for a, b in zip(shape, other))


def _shown(expr) -> str:
    """``expr`` as text, each fraction whose denominator has a factor 5 and no other than 2
    and 5 written as a decimal: a student's ``3.33`` (333/100) and what follows from it
    (``6*3.33*4 = 79.92``) read as written, a half (``27/2``) as the ``no_floor`` working
    prints it."""
    expr = sympy.sympify(expr)
    swap = {r: sympy.Symbol(_decimal(r)) for r in expr.atoms(sympy.Rational)
            if _decimal(r) is not None}
    return sympy.sstr(expr.xreplace(swap) if swap else expr)


def _decimal(r: sympy.Rational) -> str | None:
    """``r`` as a decimal (``333/100`` as ``3.33``), or None (see :func:`_shown`).

    >>> [_decimal(sympy.Rational(p, q)) for p, q in ((333, 100), (276, 5), (27, 2), (10, 3))]
    ['3.33', '55.2', None, None]
    """
    q, counts = int(r.q), {2: 0, 5: 0}
    for prime in counts:
        while q % prime == 0:
            q, counts[prime] = q // prime, counts[prime] + 1
    if q != 1 or not counts[5]:
        return None
    digits = max(counts.values())  # 1/(2**a * 5**b) has max(a, b) decimal digits
    whole, rest = divmod(abs(int(r.p)) * 10 ** digits // int(r.q), 10 ** digits)
    return f"{'-' if r < 0 else ''}{whole}.{rest:0{digits}d}"


def _upstream_pooling(node) -> list:
    out, seen, stack = [], set(), [t.node for t in node.inputs]
    if _is_pooling(node.layer):
        out.append(node)
    while stack:
        current = stack.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if _is_pooling(current.layer):
            out.append(current)
        stack.extend(t.node for t in current.inputs)
    return out


def _replay(model: Model, skipped, target) -> Outcome | None:
    """``target``'s outcome in ``model`` with the node ``skipped`` made an identity; None
    when that leaves ``target``'s input as it was (or does not build).

    Only the layers whose input the skip changes are built again: every other tensor keeps
    its shape, so a replay costs the layers between ``skipped`` and ``target``, and it ends
    where the change dies out (a broadcast ``Multiply`` after a squeeze-excite pooling)."""
    changed: dict = {}  # id(tensor) -> its shape with the skip, where that differs
    passed, rebuilt = False, 0
    for node in model.nodes:
        if isinstance(node.layer, InputLayer):
            continue
        if passed and not changed:
            return None
        ins = [changed.get(id(t), t.shape) for t in node.inputs]
        if node is skipped:
            passed = True
            if node is target:
                return Outcome(tuple(ins[0]), sympy.Integer(0),
                               {"output_shape": f"the input of {target.layer.type_name}"})
            if tuple(ins[0]) != tuple(node.outputs[0].shape):
                changed[id(node.outputs[0])] = tuple(ins[0])
            continue
        if not any(id(t) in changed for t in node.inputs):
            if node is target:
                return None
            continue
        rebuilt += 1
        if rebuilt > MAX_REPLAYED_LAYERS:
            return None
        outcome = probe(node.layer, ins)
        if outcome is None or node is target:
            return outcome
        for t, shape in zip(node.outputs, as_shapes(outcome.output_shape)):
            if tuple(shape) != tuple(t.shape):
                changed[id(t)] = tuple(shape)
    return None
