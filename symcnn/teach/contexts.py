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
from ..working import Ceiling, Floor
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
    return any(d.is_number and not d.is_Integer for shape in inputs for d in shape)


def _by_formulas(model: Model, node, inputs) -> tuple:
    """``(correct, [("no_floor", outcome)])`` of ``node``'s layer on ``inputs`` with a
    non-integer size: its derivation's formulas (``floor((H_in + 2*P_h - K_h)/S_h) + 1``) at
    the student's input sizes (``H_in``, ``W_in``, ``C_in``, ``N_in`` by position), the
    other values as bound; ``(None, [])`` where the formulas do not say it (a layer with
    several inputs, a size without a formula)."""
    record = next((r for r in model._records if r.node is node), None)
    if record is None or len(inputs) != 1 or len(node.outputs) != 1:
        return None, []
    try:
        derivation = record.derivation
    except SymcnnError:  # a layer that states no derivation: no carried credit here
        return None, []
    (student,) = inputs
    names = [str(n) for n in input_names(len(student))]
    given = dict(zip(names, student))
    true_out = tuple(node.outputs[0].shape)
    out_names = [n.replace("_in", "_out") for n in
                 map(str, input_names(len(true_out)))]

    def outcome(strip: bool):
        shape = list(student) if len(student) == len(true_out) else list(true_out)
        texts, params = [], None
        for step in derivation.steps:
            bound = {k: given.get(str(k), v) for k, v in step.bindings}
            formula = step.formula
            if strip:
                formula = formula.replace(lambda e: isinstance(e, _ROUNDINGS), lambda e: e.args[0])
            working = formula.xreplace(bound)
            value = sympy.nsimplify(working.doit())
            if not value.is_number:
                return None
            parts = [step.key]
            for part in (sympy.sstr(formula), sympy.sstr(working), str(value)):
                if part != parts[-1]:  # C_out = F = 4, not F = 4 = 4
                    parts.append(part)
            texts.append(" = ".join(parts))
            if step.key == "params":
                params = value
            elif step.key in out_names:
                shape[out_names.index(step.key)] = value
            else:
                return None
        if params is None:
            return None
        return Outcome(tuple(shape), params, {"output_shape": "; ".join(texts[:-1]),
                                              "params": texts[-1]})

    correct, unfloored = outcome(False), outcome(True)
    variants = [] if unfloored is None or correct is None or \
        unfloored.output_shape == correct.output_shape else [("no_floor", unfloored)]
    return correct, variants


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
