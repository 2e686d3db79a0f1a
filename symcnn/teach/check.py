"""Marking a student's table of output shapes and parameter counts: :func:`check`.

Every claimed number is compared with the model's; a wrong one is diagnosed by recomputing
the layer under each mistaken variant of :mod:`symcnn.teach.diagnoses`, first on the true
input and then on the input the student's own earlier rows imply. A wrong number that is
exactly what follows from an earlier wrong row is ``carried`` and earns the credit, as a
teacher would give it. An unrounded size (10/3) flows on as written; a decimal flows on
both as written (3.33) and as the value it stands for (10/3), so a student who works on
with either earns the credit.

>>> import symcnn as sc
>>> model = sc.Sequential([sc.Input((9, 9, 3)),
...                        sc.Conv2D(2, (3, 2), strides=(1, 3), use_bias=False)])
>>> report = sc.check(model, [{"layer": 0, "output_shape": (7, 3.33, 2), "params": 36}])
>>> report.rows[0].ok, report.rows[0].diagnosis, report.score
(False, 'no_floor', 0.5)
>>> print(report.rows[0].marks[0].follows)
W_out = (9 + 2*0 - 2)/3 + 1 = 10/3
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import sympy

from ..errors import ArgumentError, brief
from ..layers.core import InputLayer
from ..model import Model
from . import report as _report
from .claims import Claim, ClaimError, Unreadable, parse_claims
from .contexts import MAX_REPLAYED_LAYERS, MAX_VARIANTS, Context, as_shapes
from .diagnoses import CARRIED, CATALOGUE, UNEXPLAINED, UNREADABLE, Outcome

__all__ = ["check", "Report", "RowReport", "Mark", "Expected", "MAX_VARIANTS",
           "MAX_REPLAYED_LAYERS"]

FIELDS = ("output_shape", "params")


@dataclass(frozen=True)
class Expected:
    """The right values of a row, with the derivation that gives them."""

    output_shape: Any
    params: sympy.Expr
    derivation: Any

    @property
    def working(self) -> str:
        """The worked derivation as text (formula = working = value per quantity)."""
        return str(self.derivation)

    def step_text(self, field: str) -> str:
        keys = ("params",) if field == "params" else \
            tuple(s.key for s in self.derivation.shape_steps)
        return "; ".join(str(s) for s in self.derivation.steps if s.key in keys)


@dataclass(frozen=True)
class Mark:
    """One claimed quantity of a row: right, or wrong with a diagnosis."""

    field: str
    claimed: Any
    expected: Any
    ok: bool
    diagnosis: str | None = None
    also: tuple = ()          # other diagnoses that give exactly the same number
    follows: str | None = None  # the working the claimed number follows from

    @property
    def credited(self) -> bool:
        """Right, or carried from an earlier wrong row."""
        return self.ok or self.diagnosis == CARRIED

    @property
    def explanation(self) -> str | None:
        return None if self.diagnosis is None else CATALOGUE[self.diagnosis].explanation


@dataclass(frozen=True)
class RowReport:
    """The marking of one row of the student's table."""

    index: int
    layer: str
    type: str
    claimed: dict
    expected: Expected
    marks: tuple

    @property
    def ok(self) -> bool:
        return all(m.ok for m in self.marks)

    @property
    def credited(self) -> bool:
        return all(m.credited for m in self.marks)

    @property
    def diagnosis(self) -> str | None:
        """None for a right row; else the first slip (``carried`` only if nothing else)."""
        codes = [m.diagnosis for m in self.marks if not m.ok]
        own = [c for c in codes if c != CARRIED]
        return own[0] if own else (codes[0] if codes else None)

    @property
    def diagnoses(self) -> dict:
        """``{field: code}`` for each wrong quantity of the row."""
        return {m.field: m.diagnosis for m in self.marks if not m.ok}


class Report:
    """The marked table: :attr:`rows`, :attr:`score`; renders as text, Markdown, LaTeX, HTML."""

    def __init__(self, model, rows: list) -> None:
        self.model_name = model.display_name
        self.rows = tuple(rows)

    @property
    def marks(self) -> tuple:
        """``(credited, total)`` over every claimed quantity."""
        all_marks = [m for r in self.rows for m in r.marks]
        return sum(m.credited for m in all_marks), len(all_marks)

    @property
    def score(self) -> float:
        """The fraction of claimed quantities that are right or carried (1.0 if none)."""
        credited, total = self.marks
        return credited / total if total else 1.0

    @property
    def ok(self) -> bool:
        """Every row right (carried rows are credited but not right)."""
        return all(r.ok for r in self.rows)

    def to_text(self) -> str:
        return _report.to_text(self)

    def to_markdown(self) -> str:
        return _report.to_markdown(self)

    def to_latex(self, standalone: bool = False) -> str:
        return _report.to_latex(self, standalone)

    def to_html(self, standalone: bool = False) -> str:
        return _report.to_html(self, standalone)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        credited, total = self.marks
        return f"<Report {self.model_name!r}: {len(self.rows)} rows, {credited}/{total} credited>"


# --------------------------------------------------------------------------- marking


def _matches(field: str, claimed, value) -> bool:
    if value is None:
        return False
    if field == "params":
        return claimed.matches(value)
    shapes, claims = as_shapes(value), as_shapes(claimed)  # a layer with several outputs:
    return len(shapes) == len(claims) and all(  # each of them, never the first one alone
        len(shape) == len(claim) and all(c.matches(v) for c, v in zip(claim, shape))
        for claim, shape in zip(claims, shapes))


def _value(outcome: Outcome, field: str):
    return outcome.params if field == "params" else outcome.output_shape


def _explain(field: str, claimed, true_ctx: Context | None, students: list) -> tuple:
    """``(codes, follows, value)``: the recomputations that give exactly ``claimed``
    (``carried`` from each of ``students``, then the variants on the true input and on the
    student's), the working of the first that states one, and the value of the first;
    ``([], None, None)`` when none does."""
    candidates = [(CARRIED, s.correct, None) for s in students if s.correct is not None]
    for ctx in (true_ctx, *students):
        if ctx is not None:
            candidates += [(code, outcome, ctx) for code, outcome in ctx.variants()]
    codes, follows, found = [], None, None
    for code, outcome, ctx in candidates:
        value = _value(outcome, field)
        if ctx is not None and ctx.correct is not None and value == _value(ctx.correct, field):
            continue  # this variant does not change this quantity here: it explains nothing
        if _matches(field, claimed, value) and code not in codes:
            found = value if not codes else found
            codes.append(code)
            follows = follows or outcome.working_for(field)
    return codes, follows, found


def _mark(field: str, claimed, expected, true_ctx: Context, students: list) -> Mark:
    if isinstance(claimed, Unreadable):
        return Mark(field, claimed, expected, False, UNREADABLE)
    if _matches(field, claimed, expected):
        return Mark(field, claimed, expected, True)
    codes, follows, _ = _explain(field, claimed, true_ctx, students)
    if not codes:
        return Mark(field, claimed, expected, False, UNEXPLAINED)
    return Mark(field, claimed, expected, False, codes[0], tuple(codes[1:]), follows)


def _student_shape(claim: Claim | None, fallback, meant=None):
    """The output shape the student's later rows build on: the claimed sizes as written
    (an unfloored 10/3 flows on, for carried credit), each decimal read as its own value
    (3.33 as 333/100) or, given ``meant`` (the shape that explains the claim), as the value
    it stands for (3.33 as 10/3); ``fallback`` where the claim gives no usable shape."""
    if claim is None or not isinstance(claim.output_shape, tuple):  # none, unreadable, several
        return fallback
    first = as_shapes(fallback)[0] if fallback is not None else None
    if first is not None and len(first) != len(claim.output_shape):
        return fallback
    meant = as_shapes(meant)[0] if meant is not None else None
    if meant is not None and len(meant) != len(claim.output_shape):
        meant = None
    values = [sympy.sympify(meant[i]) if meant is not None and c.tolerance else c.value
              for i, c in enumerate(claim.output_shape)]
    if any(v.is_number and v < 1 for v in values) or any(
            not v.free_symbols <= set().union(*(d.free_symbols for d in first))
            for v in values if not v.is_number):
        return fallback
    return tuple(values)


def _meant(claim: Claim | None, expected, true_ctx, student):
    """The shape a claimed shape with a decimal in it stands for: the right one, or the one
    of the recomputation that explains it (3.33 is the unfloored 10/3); None for a claim
    without a decimal, or one that nothing explains."""
    shape = claim.output_shape if claim is not None else None
    if not isinstance(shape, tuple) or not any(c.tolerance for c in shape):
        return None
    if _matches("output_shape", shape, expected):
        return expected
    return _explain("output_shape", shape, true_ctx, [s for s in (student,) if s])[2]


def _known_symbols(model: Model, claim: Claim) -> Claim:
    """``claim`` with each entry that uses a symbol ``model`` lacks made :class:`Unreadable`."""
    known = {str(x) for x in model.free_symbols}
    changes = {}
    for field in FIELDS:
        entry = getattr(claim, field)
        if entry is None or isinstance(entry, Unreadable):
            continue
        numbers = [n for s in as_shapes(entry) for n in s] if field == "output_shape" \
            else [entry]
        unknown = sorted({str(x) for n in numbers for x in n.value.free_symbols} - known)
        if unknown:
            changes[field] = Unreadable(
                _report.shown(field, entry),
                f"uses {', '.join(unknown)}, which is not a symbol of model "
                f"{model.display_name!r} (its symbols: {', '.join(sorted(known)) or 'none'})")
    return replace(claim, **changes) if changes else claim


def _is_cut(key) -> bool:
    return isinstance(key, str) and key.split(" (")[0].endswith(("\u2026", "..."))


def _cut_name(model: Model, records, key: str, last: int) -> int:
    """The layer a name that Keras' summary cut (``conv3_block1_1_con… (Conv2D)``) stands
    for: the first after the previous row whose name starts so and whose type is the one
    given (or starts so, when Keras cut the type too)."""
    name, _, kind = key.partition(" (")
    prefix, kind = name.rstrip(".\u2026"), kind.rstrip(")").strip()
    kind_cut = kind.endswith(("\u2026", "..."))
    kind = kind.rstrip(".\u2026")
    fits = [i for i, r in enumerate(records) if r.name.startswith(prefix) and (
        r.type.startswith(kind) if kind_cut else not kind or r.type == kind)]
    if not fits:
        raise ClaimError(f"check: model {model.display_name!r} has no layer whose name starts "
                         f"with {prefix!r}{f' of type {kind}' if kind else ''}. "
                         f"Received: layer={key!r}")
    return next((i for i in fits if i > last), fits[0])


def _resolve(model: Model, claims: list) -> list:
    """Each claim with the layer record it is about. A row's layer is an int (a position),
    None (the layer after the previous row's) or text: the layer of that name; text that
    names no layer is a position when it is one (``3``, ``#3``), a name Keras cut short
    (``conv3_block1_1_con…``) otherwise. So a name comes first: for a PyTorch model, whose
    layers are named ``0``, ``1``, ``0.0``, the text ``1`` is the layer named ``1``."""
    records = model._records  # real layers (a functional model lists its inputs too)
    inputs = set(model._input_names)
    names = [r.name for r in records]
    known = set(names)
    out, last = [], -1
    for claim in claims:
        key = claim.layer
        if isinstance(key, str) and key in inputs and key not in known:
            continue  # an input's row (a functional model's summary lists it): nothing to mark
        if key is None:
            index = last + 1
        elif isinstance(key, int):
            index = key
        elif key in known:
            index = names.index(key)
        elif re.fullmatch(r"#?\d+", key):
            index = int(key.lstrip("#"))
        elif _is_cut(key):
            index = _cut_name(model, records, key, last)
        else:
            raise ClaimError(f"check: model {model.display_name!r} has no layer named "
                             f"{brief(key)}. Layers: {', '.join(names)}. "
                             f"Received: layer={brief(key)}")
        if not 0 <= index < len(records):
            raise ClaimError(f"check: model {model.display_name!r} has {len(records)} layers "
                             f"(indices 0 to {len(records) - 1}). Received: layer={brief(key)}")
        out.append((records[index], claim))
        last = index
    return out


def _check_model(model) -> None:
    """Refuse anything but a symcnn model, saying how to get one from Keras or PyTorch."""
    if isinstance(model, Model):
        return
    origin = type(model).__module__.split(".")[0]
    hint = {"keras": " A Keras model: mark sc.from_keras(model).",
            "tf_keras": " A Keras model: mark sc.from_keras(model).",
            "tensorflow": " A Keras model: mark sc.from_keras(model).",
            "torch": " A PyTorch module: mark sc.from_torch(module, input_shape=...)."}
    raise ArgumentError(f"check: `model` must be a symcnn model (sc.Sequential, sc.Model, "
                        f"sc.zoo.*).{hint.get(origin, '')} Received: model={brief(model)}")


def check(model: Model, claims) -> Report:
    """Mark ``claims`` (rows ``{"layer", "output_shape", "params"}``, or the text of a
    table with the summary's columns: Markdown, CSV, or a summary as symcnn's or Keras 3's
    ``model.summary()`` prints it) against ``model``, a symcnn model (``sc.from_keras``
    and ``sc.from_torch`` make one of a framework's). Closed forms are read with the
    model's own symbols (``model.symbols_by_name``).

    >>> import symcnn as sc
    >>> from symcnn.zoo import textbook
    >>> table = '''
    ... | layer | output | params |
    ... |---|---|---|
    ... | conv2d | (62, 62, 6) | 162 |
    ... | conv2d_1 | (29, 29, 16) | 880 |
    ... '''
    >>> report = sc.check(textbook.lenet_code(), table)
    >>> [(r.layer, r.ok, r.diagnosis) for r in report.rows]
    [('conv2d', False, 'missing_bias'), ('conv2d_1', True, None)]
    """
    _check_model(model)
    rows = [(record, _known_symbols(model, claim))
            for record, claim in _resolve(model, parse_claims(
                claims, model.symbols_by_name, [r.name for r in model._records]))]
    by_node = {id(r.node): c for r, c in rows}
    # The student's values flow on in two readings: each decimal as written (3.33 goes on
    # as 3.33), and each decimal as the value it stands for (3.33 that is an unfloored
    # 10/3 goes on as 10/3). Without decimals the two are one.
    readings: tuple = ({}, {})
    contexts: dict = {}
    for node in model.nodes:
        if isinstance(node.layer, InputLayer):
            for reading in readings:
                reading[id(node.outputs[0])] = node.outputs[0].shape
            continue
        claim = by_node.get(id(node))
        true_ins = [t.shape for t in node.inputs]
        true_ctx = Context(model, node, true_ins, replay=True) if claim is not None else None
        made: dict = {}  # one context per distinct student input
        students = []
        for reading in readings:
            ins = tuple(reading[id(t)] for t in node.inputs)
            if ins not in made:
                differs = any(tuple(a) != tuple(b) for a, b in zip(ins, true_ins))
                made[ins] = Context(model, node, list(ins), replay=False) if differs else None
            students.append(made[ins])
        if claim is not None:
            contexts[id(node)] = (true_ctx, [s for s in made.values() if s is not None])
        for k, (reading, student) in enumerate(zip(readings, students)):
            if student is not None and student.correct is not None:
                outs = as_shapes(student.correct.output_shape)
            else:
                outs = [t.shape for t in node.outputs]
            if len(outs) == 1:
                meant = _meant(claim, node.outputs[0].shape, true_ctx, student) if k else None
                outs = [_student_shape(claim, tuple(outs[0]), meant)]
            for t, shape in zip(node.outputs, outs):
                reading[id(t)] = tuple(shape)
    report_rows = []
    for i, (record, claim) in enumerate(rows):
        true_ctx, students = contexts[id(record.node)]
        expected = Expected(record.output_shape, record.params, record.derivation)
        marks = []
        for field in FIELDS:
            claimed = getattr(claim, field)
            if claimed is not None:
                marks.append(_mark(field, claimed, getattr(expected, field), true_ctx,
                                   students))
        report_rows.append(RowReport(i, record.name, record.type,
                                     {f: getattr(claim, f) for f in FIELDS
                                      if getattr(claim, f) is not None},
                                     expected, tuple(marks)))
    return Report(model, report_rows)
