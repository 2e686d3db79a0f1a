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

from dataclasses import dataclass, replace
from typing import Any

import sympy

from ..errors import ArgumentError, brief, shorten
from ..layers.core import InputLayer
from ..model import Model
from . import report as _report
from .claims import Claim, Number, Unreadable, parse_claims
from .contexts import MAX_REPLAYED_LAYERS, MAX_VARIANTS, Context, as_shapes
from .diagnoses import CARRIED, CATALOGUE, UNEXPLAINED, UNKNOWN_LAYER, UNREADABLE, Outcome
from .equality import Verdict
from .rows import resolve

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
        if self.derivation is None:  # a row about no layer of the model
            return ""
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
    note: str | None = None   # equal only at every size tried, or where it differs

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
    problem: str | None = None  # why the row is about no layer of the model

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

    def __init__(self, model, rows: list, blank_entries: int = 0) -> None:
        self.model_name = model.display_name
        self.rows = tuple(rows)
        self.blank_entries = blank_entries  # cells of the table left empty

    @property
    def marks(self) -> tuple:
        """``(credited, total)`` over every claimed quantity; when nothing is claimed, the
        total is the number of blank entries (:attr:`nothing_claimed`)."""
        all_marks = [m for r in self.rows for m in r.marks]
        if not all_marks:
            return 0, self.blank_entries
        return sum(m.credited for m in all_marks), len(all_marks)

    @property
    def nothing_claimed(self) -> bool:
        """No quantity claimed at all: no rows, or only blank entries. Such a table scores
        0 and is not :attr:`ok`: a blank sheet does not pass."""
        return not any(r.marks for r in self.rows)

    @property
    def score(self) -> float:
        """The fraction of claimed quantities that are right or carried (0.0 if none)."""
        credited, total = self.marks
        return credited / total if total and not self.nothing_claimed else 0.0

    @property
    def ok(self) -> bool:
        """Every row right (carried rows are credited but not right), and something
        claimed."""
        return not self.nothing_claimed and all(r.ok for r in self.rows)

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


def _verdict(field: str, claimed, value, constraints: tuple = ()) -> Verdict:
    """Whether ``claimed`` is ``value``, size by size for a shape (each output of a layer
    with several, never the first one alone): the first size where one differs, or, when
    every one is equal, whether each was proved (:class:`~symcnn.teach.equality.Verdict`)."""
    if value is None:
        return Verdict(False)
    if field == "params":
        return claimed.compare(value, constraints)
    shapes, claims = as_shapes(value), as_shapes(claimed)
    if len(shapes) != len(claims) or any(len(s) != len(c) for s, c in zip(shapes, claims)):
        return Verdict(False)
    unproved = None
    for claim, shape in zip(claims, shapes):
        for c, v in zip(claim, shape):
            verdict = c.compare(v, constraints)
            if not verdict.equal:
                return verdict
            if not verdict.proved and (unproved is None or verdict.tried < unproved.tried):
                unproved = verdict
    return unproved or Verdict(True)


def _matches(field: str, claimed, value, constraints: tuple = ()) -> bool:
    return _verdict(field, claimed, value, constraints).equal


def _value(outcome: Outcome, field: str):
    return outcome.params if field == "params" else outcome.output_shape


def _explain(field: str, claimed, true_ctx: Context | None, students: list,
             constraints: tuple = ()) -> tuple:
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
        if _matches(field, claimed, value, constraints) and code not in codes:
            found = value if not codes else found
            codes.append(code)
            follows = follows or outcome.working_for(field)
    return codes, follows, found


def _mark(field: str, claimed, expected, true_ctx: Context, students: list,
          constraints: tuple = ()) -> Mark:
    if isinstance(claimed, Unreadable):
        return Mark(field, claimed, expected, False, UNREADABLE)
    verdict = _verdict(field, claimed, expected, constraints)
    if verdict.equal:
        return Mark(field, claimed, expected, True, note=verdict.note)
    codes, follows, _ = _explain(field, claimed, true_ctx, students, constraints)
    if not codes:
        return Mark(field, claimed, expected, False, UNEXPLAINED, note=verdict.note)
    return Mark(field, claimed, expected, False, codes[0], tuple(codes[1:]), follows,
                verdict.note)


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


def _meant(claim: Claim | None, expected, true_ctx, student, constraints: tuple = ()):
    """The shape a claimed shape with a decimal in it stands for: the right one, or the one
    of the recomputation that explains it (3.33 is the unfloored 10/3); None for a claim
    without a decimal, or one that nothing explains."""
    shape = claim.output_shape if claim is not None else None
    if not isinstance(shape, tuple) or not any(c.tolerance for c in shape):
        return None
    if _matches("output_shape", shape, expected, constraints):
        return expected
    return _explain("output_shape", shape, true_ctx, [s for s in (student,) if s],
                    constraints)[2]


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
                f"uses {_names(unknown)}, which {'is' if len(unknown) == 1 else 'are'} not "
                f"{'a symbol' if len(unknown) == 1 else 'symbols'} of model "
                f"{model.display_name!r} (its symbols: {_names(sorted(known)) or 'none'})")
    return replace(claim, **changes) if changes else claim


def _names(names: list, most: int = 6) -> str:
    """``names`` for a message: each cut to 24 characters, at most ``most`` of them (a
    name of 300 characters made a reason a page wide)."""
    shown = [shorten(n, 24) for n in names[:most]]
    more = len(names) - most
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _without_batch(claim: Claim, record) -> Claim:
    """``claim`` with a leading batch axis of 1 taken off its shape when the shape has one
    size more than the layer's output (torchinfo prints ``[1, 8, 8, 8]``)."""
    shape, outputs = claim.output_shape, as_shapes(record.output_shape)
    if (isinstance(shape, tuple) and len(outputs) == 1 and len(shape) == len(outputs[0]) + 1
            and isinstance(shape[0], Number) and not shape[0].tolerance
            and shape[0].value == 1):
        return replace(claim, output_shape=shape[1:])
    return claim


def _unknown_row(index: int, claim: Claim, problem: str) -> RowReport:
    """The row of a claim about no layer of the model: each claimed quantity wrong."""
    layer = claim.layer if isinstance(claim.layer, str) else brief(claim.layer)
    claimed = {f: getattr(claim, f) for f in FIELDS if getattr(claim, f) is not None}
    marks = tuple(Mark(f, c, None, False, UNKNOWN_LAYER, note=problem)
                  for f, c in claimed.items())
    return RowReport(index, shorten(layer, 60), "unknown layer", claimed,
                     Expected(None, None, None), marks, problem)


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
    model's own symbols (``model.symbols_by_name``) and compared under the model's
    constraints (:mod:`symcnn.teach.equality`). A row about no layer of the model is marked
    ``unknown_layer`` (:mod:`symcnn.teach.rows`) and the rest still marked; a table that
    claims nothing is not :attr:`Report.ok` and scores 0.

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
    constraints = tuple(model.constraints)
    parsed = parse_claims(claims, model.symbols_by_name, [r.name for r in model._records])
    blank = sum(len(c.blank) for c in parsed)
    rows = [(record, claim if record is None else
             _without_batch(_known_symbols(model, claim), record), problem)
            for record, claim, problem in resolve(model, parsed)]
    by_node = {id(r.node): c for r, c, _ in rows if r is not None}
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
                meant = _meant(claim, node.outputs[0].shape, true_ctx, student,
                               constraints) if k else None
                outs = [_student_shape(claim, tuple(outs[0]), meant)]
            for t, shape in zip(node.outputs, outs):
                reading[id(t)] = tuple(shape)
    report_rows = []
    for i, (record, claim, problem) in enumerate(rows):
        if record is None:
            report_rows.append(_unknown_row(i, claim, problem))
            continue
        true_ctx, students = contexts[id(record.node)]
        expected = Expected(record.output_shape, record.params, record.derivation)
        marks = []
        for field in FIELDS:
            claimed = getattr(claim, field)
            if claimed is not None:
                marks.append(_mark(field, claimed, getattr(expected, field), true_ctx,
                                   students, constraints))
        report_rows.append(RowReport(i, record.name, record.type,
                                     {f: getattr(claim, f) for f in FIELDS
                                      if getattr(claim, f) is not None},
                                     expected, tuple(marks)))
    return Report(model, report_rows, blank)
