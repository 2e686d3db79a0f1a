"""Machine-readable documents the command line prints with ``--format json``, and
:func:`render`, which prints a model in the format asked for.

Every document is a JSON object with ``"schema"`` (its kind, e.g. ``"symcnn/summary"``) and
``"version"`` (:data:`SCHEMA_VERSION`), described by ``symcnn/schemas/cli-output.schema.json``
and ``docs/cli.md``. Counts and sizes are JSON integers when they are numbers (exact, however
large; never floats) and otherwise strings holding the closed form in the syntax that
:func:`symcnn.parse_expression` reads back.

>>> import symcnn as sc
>>> doc = summary_document(sc.zoo.textbook.free_width())
>>> doc["schema"], doc["version"], doc["totals"]["params"], doc["layers"][0]["output_shape"]
('symcnn/summary', 1, '160*n + 48320', [36, 28, 20])
"""

from __future__ import annotations

import sympy

from .. import __version__
from ..costs import quantity
from ..errors import CostError, _digits, brief
from ..safe import MAX_DIGITS, BoundError, literal_digits
from ..render.context import TABLE_COLUMNS
from ..render.exprs import canonical_text, show
from ..render.summary import COLUMNS
from ..suggest import did_you_mean
from .options import UsageError

__all__ = ["SCHEMA_VERSION", "ANY", "encode", "header", "shape", "summary_document",
           "solve_document", "sweep_document", "zoo_document", "optional_count", "render",
           "check_columns"]

#: ``largest_alone`` of a budget on a quantity that does not depend on the symbol and is
#: within it: every value fits.
ANY = "any"

#: Version of the JSON documents; raised when a field changes meaning or is removed.
SCHEMA_VERSION = 1


def encode(value):
    """A count or size as JSON data: an ``int`` when it is an integer, else its closed form.

    >>> encode(sympy.Integer(10**30)), encode(sympy.Symbol("n") * 2)
    (1000000000000000000000000000000, '2*n')
    """
    value = sympy.sympify(value)
    if value.is_Integer:
        if abs(int(value)).bit_length() > 14_000 and _digits(int(value)) > MAX_DIGITS:
            raise BoundError(f"JSON output: a count of {_digits(int(value)):,} digits; JSON "
                             f"numbers are written up to {MAX_DIGITS:,} digits (use --format "
                             f"text). Received: {brief(int(value))}")
        return int(value)
    return canonical_text(_within_digits(value))


def _within_digits(value):
    """``value`` (a closed form or a relation), or a :class:`~symcnn.safe.BoundError` when
    it holds a number of more than :data:`~symcnn.safe.MAX_DIGITS` digits, which JSON does
    not write (as for a count alone, :func:`encode`).

    >>> n = sympy.Symbol("n")
    >>> _within_digits(10**5000 * n)
    Traceback (most recent call last):
    ...
    symcnn.safe.BoundError: JSON output: a closed form with a number of 5,001 digits; JSON output writes numbers of up to 4,300 digits (use --format text). Received: a closed form over 1 symbol
    """
    digits = literal_digits(value)
    if digits:
        count = len(value.free_symbols)
        raise BoundError(f"JSON output: a closed form with a number of {digits:,} digits; "
                         f"JSON output writes numbers of up to {MAX_DIGITS:,} digits (use "
                         f"--format text). Received: a closed form over {count} "
                         f"symbol{'' if count == 1 else 's'}")
    return value


def shape(value) -> list:
    """A shape (or a list of shapes) as JSON lists.

    >>> shape((sympy.Symbol("H"), 3))
    ['H', 3]
    """
    if isinstance(value, list):
        return [shape(s) for s in value]
    return [encode(d) for d in value]


def optional_count(obj, attr: str):
    """``obj.attr`` encoded, or ``None`` when it is unknown (a layer that states no cost
    formula: :class:`~symcnn.errors.CostError`)."""
    try:
        return encode(getattr(obj, attr))
    except CostError:
        return None


def header(kind: str) -> dict:
    """The fields every JSON document starts with: its kind, the schema version, symcnn's."""
    return {"schema": f"symcnn/{kind}", "version": SCHEMA_VERSION, "symcnn": __version__}


def _quantities(obj, names) -> dict:
    out = {}
    for name in names:
        value = optional_count(obj, name)
        if value is not None:
            out[name] = value
    return out


def summary_document(model) -> dict:
    """The ``symcnn/summary`` document of a model: layers, totals, constraints."""
    layers = []
    for record in model._records:
        entry = {
            "index": record.index, "name": record.name, "type": record.type,
            "input_shape": shape(record.input_shape), "output_shape": shape(record.output_shape),
            "params": encode(record.params),
            "trainable_params": encode(record.trainable_params),
            "non_trainable_params": encode(record.non_trainable_params),
        }
        entry.update(_quantities(record, ("macs", "flops")))
        entry["inbound"] = list(record.inbound)
        entry["calls"] = record.calls
        entry["constraints"] = [str(_within_digits(c)) for c in record.constraints]
        entry["display"] = _display(record, ("output_shape", "params"))
        layers.append(entry)
    totals = {"params": encode(model.params),
              "trainable_params": encode(model.trainable_params),
              "non_trainable_params": encode(model.non_trainable_params)}
    totals.update(_quantities(model, ("macs", "flops")))
    return {
        **header("summary"),
        "model": {"name": model.display_name,
                  "type": "Sequential" if model.is_sequential else "Functional"},
        "symbols": sorted(s.name for s in model.free_symbols),
        "inputs": [{"name": n, "shape": shape(t.shape)}
                   for n, t in zip(model._input_names, model.inputs)],
        "output_shape": shape(model.output_shape),
        "layers": layers,
        "totals": totals,
        "constraints": [str(_within_digits(c)) for c in model.constraints],
        "display": {**_display(model, ("output_shape", "params", "trainable_params",
                                       "non_trainable_params", "macs")),
                    "constraints": [show(c) for c in model.constraints]},
    }


def _display(obj, names) -> dict:
    """What a person reads of ``obj``'s quantities: the display form (:func:`symcnn.show`),
    as the text summary prints it. The canonical fields beside it are for machines."""
    out = {}
    for name in names:
        try:
            value = getattr(obj, name)
        except CostError:
            continue
        out[name] = str(value) if name == "output_shape" else show(value)
    return out


def solve_document(model, symbol: str, value, budgets: dict, binding: list) -> dict:
    """The ``symcnn/solve`` document: the largest ``symbol`` within every budget.

    ``budgets`` maps a quantity name to ``(budget, expression, largest value alone)``.
    """
    def answer(v):  # a multiplier's answer on its grid is a rational: "17/20"
        return v if v is None or v == ANY else encode(v)

    doc = {**header("solve"), "model": model.display_name, "symbol": symbol,
           "value": answer(value), "binding": binding, "budgets": {}}
    for name, (budget, expr, alone) in budgets.items():
        at = expr.xreplace({s: value for s in expr.free_symbols if s.name == symbol}) \
            if value is not None else None
        doc["budgets"][name] = {"budget": encode(budget), "expression": encode(expr),
                                "largest_alone": answer(alone),
                                "at_value": None if at is None else encode(at)}
    return doc


def sweep_document(model, symbol: str, quantities: list, rows: list) -> dict:
    """The ``symcnn/sweep`` document: quantities at each value of one symbol (each read as
    the sweep reads it: :func:`symcnn.costs.quantity` calls the byte counts, which are
    methods)."""
    return {**header("sweep"), "model": model.display_name, "symbol": symbol,
            "quantities": quantities,
            "expressions": {q: encode(quantity(model, q)) for q in quantities},
            "points": [{"value": v, "valid": ok, **{q: (encode(x) if ok else None)
                                                    for q, x in zip(quantities, xs)}}
                       for v, ok, xs in rows]}


def zoo_document(entries: list) -> dict:
    """The ``symcnn/zoo`` document: the models the zoo offers."""
    return {**header("zoo"), "models": [{"name": n, "description": d} for n, d in entries]}


def check_columns(fmt: str, names):
    """``--columns`` ``names`` (None: not given) checked against the columns of ``fmt``'s
    printer (text: ``summary()``'s; markdown and latex: the tables', as
    :func:`~symcnn.render.context.resolve_columns` takes them; a Python FILE may register
    more, so it is read first): an unknown name (or, in text, one named twice, which ``summary()`` refuses) is a usage error
    naming the option and the value, as a malformed ``--y`` is.

    >>> check_columns("text", ["layer", "params"])
    ['layer', 'params']
    >>> check_columns("text", ["layer", "parms"])
    Traceback (most recent call last):
    ...
    symcnn.cli.options.UsageError: --columns: unknown column 'parms'. Did you mean 'params'? Choose from: layer, output_shape, params, ... Received: --columns layer,parms
    """
    if names is None:
        return None
    received = f"Received: --columns {','.join(names)}"
    known = list(COLUMNS) if fmt == "text" else \
        list(TABLE_COLUMNS) + [c for c in COLUMNS if c not in TABLE_COLUMNS]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"--columns: unknown column {unknown[0]!r}."
                         f"{did_you_mean(unknown[0], known)} Choose from: {', '.join(known)}. "
                         f"{received}")
    twice = [n for i, n in enumerate(names) if n in names[:i]]
    if twice and fmt == "text":
        raise UsageError(f"--columns: {twice[0]} is named twice. {received}")
    return names


def render(model, fmt: str, columns=None, notation: str | None = None) -> str:
    """The model as text, Markdown, LaTeX or a JSON document (``--format``, ``--columns``
    but for JSON, ``--notation`` for Markdown and LaTeX: :func:`~symcnn.cli.main` refused
    the others before the model was read, :func:`~symcnn.cli.options.check_early`)."""
    if fmt == "json":
        import json  # only here: a text summary needs no JSON encoder (issue 16: start-up)

        return json.dumps(summary_document(model), indent=2)
    named = {} if notation is None else {"notation": notation}
    if fmt == "markdown":
        return model.to_markdown(columns=columns, **named)
    if fmt == "latex":
        return model.to_latex(columns=columns, **named)
    return model.summary_text(columns=columns)
