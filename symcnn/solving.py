"""Solving for budgets and equations, exactly, over the positive integers.

``solve_budget`` answers "how wide can it be?": the largest value of a symbol that keeps one
or more quantities within their budgets. The answer is exact for every expression symcnn
builds (polynomials with ``floor``, ``ceiling`` and ``Mod``, see :mod:`symcnn.quasipoly`):
the whole set of values within budget is computed, and a single number is returned only when
that set is every admissible value up to it. Otherwise :class:`~symcnn.errors.SolveError`
says so and shows the set, which :func:`within_budget` returns.

>>> import symcnn as sc
>>> n = sc.symbols("n")
>>> sc.solve_budget(160*n + 48320, 100_000, n)
323
>>> sc.solve(160*n + 48320, 100_000, n)     # the budget is met exactly at n = 323
Solution(n: integers={323}, real=(323,))
>>> sc.solve(160*n + 48320, 99_999, n).real
(51679/160,)
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping

import sympy

from .layers.repeat import repeat_counts
from .costs import quantity
from .errors import ExpressionError, SolveError, SymcnnError, brief
from .expr_parser import parse_expression
from .grids import grid_sets, largest_on_grid, largest_within
from .multipliers import exact_value
from .quasipoly import IntegerSet, NotQuasiPolynomial, relation_set
from .render.exprs import show
from .structural import exponent_symbols, integer_valued, lower_bound
from .symbols import describe_symbol, least_integer

__all__ = ["solve_budget", "within_budget", "solve", "Solution"]


# ------------------------------------------------------------------------- arguments


def _received(**items: Any) -> str:
    return "Received: " + ", ".join(f"{k}={brief(v)}" for k, v in items.items())


def _as_expr(value: Any, arg: str, where: str, amount: bool = False) -> sympy.Expr:
    """``value`` as a finite real SymPy expression; ``amount``: a budget (or a target)."""
    if isinstance(value, str) and (amount or arg in ("budget", "target")):  # "25M": the CLI's
        raise SolveError(f"{where}: `{arg}` must be a number or a SymPy expression, not text: "
                         f"a budget with a unit (25M, 1MiB) is read by the command line "
                         f"(--budget params=25M); in Python write the number (25e6, 2**20). "
                         f"{_received(**{arg: value})}")
    if isinstance(value, bool) or value is None or isinstance(value, str):
        raise SolveError(f"{where}: `{arg}` must be a number or a SymPy expression. "
                         f"{_received(**{arg: value})}")
    value = _one_element(value, arg, where)
    if isinstance(value, sympy.Float):  # the decimal it prints, as a multiplier's value
        if not value.is_finite:
            raise SolveError(f"{where}: `{arg}` must be finite. {_received(**{arg: value})}")
        return sympy.Rational(str(value))
    if isinstance(value, Decimal):  # its exact decimal value: Decimal("0.1") is 1/10
        if not value.is_finite():
            raise SolveError(f"{where}: `{arg}` must be finite. {_received(**{arg: value})}")
        exact = Fraction(value)
        return sympy.Rational(exact.numerator, exact.denominator)
    if not isinstance(value, sympy.Basic) and isinstance(value, numbers.Complex) and \
            not isinstance(value, numbers.Real):  # complex(1e5, 0) too: a type of its own
        raise SolveError(f"{where}: `{arg}` must be real: sizes, counts and their costs are "
                         f"real numbers (give a complex number's real part), and "
                         f"{brief(value)} is complex. {_received(**{arg: value})}")
    if not isinstance(value, sympy.Basic) and isinstance(value, numbers.Real):
        if isinstance(value, numbers.Rational):  # int, Fraction, NumPy's integers
            return sympy.Rational(int(value.numerator), int(value.denominator))
        if not math.isfinite(value):  # float and NumPy's floats: the decimal they print
            raise SolveError(f"{where}: `{arg}` must be finite. {_received(**{arg: value})}")
        try:  # 1e23 is 10**23, as the command line reads it (its double is 10**23 - 8388608)
            exact = Fraction(repr(value) if isinstance(value, float) else str(value))
        except (TypeError, ValueError):  # a float type printing otherwise
            exact = Fraction(repr(float(value)))
        return sympy.Rational(exact.numerator, exact.denominator)
    try:
        expr = sympy.sympify(value, strict=True)
    except (sympy.SympifyError, TypeError):
        raise SolveError(f"{where}: `{arg}` must be a number or a SymPy expression. "
                         f"{_received(**{arg: value})}") from None
    if not isinstance(expr, sympy.Expr) or getattr(expr, "is_Matrix", False) or \
            expr.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):  # a matrix is an Expr too
        raise SolveError(f"{where}: `{arg}` must be a finite SymPy expression. "
                         f"{_received(**{arg: value})}")
    if arg == "budget" and expr.is_number and not expr.is_Rational:
        kind = "complex" if expr.is_real is False else "irrational"
        raise SolveError(f"{where}: `{arg}` must be a rational number (an int, a Fraction, a "
                         f"float or Decimal, taken exactly); {expr} is {kind}. "
                         f"{_received(**{arg: value})}")
    if expr.has(sympy.I) or expr.is_number and expr.is_real is False:
        raise SolveError(f"{where}: `{arg}` must be real: sizes, counts and their costs are "
                         f"real numbers, and {show(expr)} is complex. "
                         f"{_received(**{arg: value})}")
    return _exact_floats(expr, arg, where) if expr.has(sympy.Float) else expr


def _one_element(value: Any, arg: str, where: str) -> Any:
    """A tensor or an array holding one number (``torch.tensor(100000)``,
    ``numpy.array(1e5)``) as that number (``.item()``, a Python int or float, then taken
    as any int or float is); one of several numbers is refused. Duck-typed: symcnn does
    not import the framework."""
    if isinstance(value, (sympy.Basic, numbers.Number)) or not hasattr(value, "ndim") or \
            not callable(getattr(value, "item", None)):
        return value
    try:
        count = math.prod(int(d) for d in getattr(value, "shape", ()))
    except (TypeError, ValueError):
        count = None
    if count != 1:
        raise SolveError(f"{where}: `{arg}` must be one number, and this "
                         f"{type(value).__name__} of shape {tuple(getattr(value, 'shape', ()))} "
                         f"holds {count if count is not None else 'several'}; give one of its "
                         f"elements (e.g. {arg}[0].item()). {_received(**{arg: value})}")
    item = value.item()
    if isinstance(item, bool):
        raise SolveError(f"{where}: `{arg}` must be a number, and this "
                         f"{type(value).__name__} holds a truth value. "
                         f"{_received(**{arg: value})}")
    return item


def _exact_floats(expr, arg: str, where: str):
    """``expr`` with each floating-point number that is exactly the decimal it prints
    (``0.5``, ``2.0``) as that rational; one that is not (``0.1`` is
    ``0.1000000000000000055...`` in binary) is refused: which of the two was meant is not
    known, and symcnn solves exactly.

    >>> n = sympy.Symbol("n", integer=True, positive=True)
    >>> _exact_floats(0.5*n**2, "expr", "solve")
    n**2/2
    """
    table = {}
    for f in expr.atoms(sympy.Float):  # finite: _as_expr refused oo and nan before
        decimal = sympy.Rational(str(f))
        if sympy.Rational(f) != decimal:
            raise SolveError(f"{where}: `{arg}` holds the floating-point number {f}, which is "
                             f"not exactly the decimal it prints; symcnn answers exactly, so "
                             f"write it exactly, as sympy.Rational({decimal.p}, {decimal.q}) "
                             f"or the fraction string sympy.Rational(\"{decimal}\"). "
                             f"{_received(**{arg: expr})}")
        table[f] = decimal
    return expr.xreplace(table)


def _clash(symbols) -> str:
    """A sentence naming two different symbols of one name among ``symbols``, or "".

    SymPy keeps symbols of one name and different assumptions apart (``sympy.Symbol("n")``
    and ``sc.symbols("n")``): an expression holding both prints ``n + 2*n``, and fixing or
    solving for ``n`` reaches only one of them."""
    by_name: dict = {}
    for s in sorted(symbols, key=lambda s: (s.name, sympy.srepr(s))):
        by_name.setdefault(s.name, []).append(s)
    for name, same in sorted(by_name.items()):
        if len(same) > 1:
            kinds = " and ".join(describe_symbol(s) for s in same[:2])
            return (f"the expression holds two different symbols named {name} ({kinds}): "
                    f"SymPy keeps symbols with different assumptions apart, so one of them "
                    f"stays free whatever is fixed or solved for; build the expression with "
                    f"one symbol {name}, e.g. sc.symbols({name!r})")
    return ""


def _symbol(symbol: Any, exprs: list, where: str) -> sympy.Symbol:
    given = symbol
    if isinstance(symbol, sympy.Symbol):
        if any(symbol in e.free_symbols for e in exprs):
            return symbol
        # sympy.Symbol("n") (no assumptions) means the expression's n, as in model.subs
        symbol = symbol.name
    if isinstance(symbol, str):
        for e in exprs:
            for s in e.free_symbols:
                if s.name == symbol:
                    return s
        if isinstance(given, sympy.Symbol) and \
                given.assumptions0 != sympy.Symbol(given.name).assumptions0:
            return given  # only a tie holds it (a1=alpha): as made, a multiplier stays one
        return sympy.Symbol(symbol, integer=True, positive=True)
    raise SolveError(f"{where}: the symbol to solve for must be a SymPy symbol or its name. "
                     f"{_received(symbol=symbol)}")


def _fix(exprs: list, fixed: Mapping, where: str, known=(), ties: list | None = None,
         solved: sympy.Symbol | None = None) -> list:
    """Substitute ``name=value`` (values may be expressions, e.g. ties ``c1=2*w``).

    ``known`` are further symbols that may be fixed: a model's, which a budgeted quantity
    need not contain (its parameters do not depend on ``H``). ``ties`` (a list) receives
    the conditions that keep each tied value one its symbol takes (:func:`_tie_conditions`).
    ``solved``, the symbol solved for, may be named by a tie given as text (``c1="w"``)
    though no expression has it yet, as a tie given as a SymPy expression may hold it."""
    if not fixed:
        return [_written_out(e) for e in exprs]
    by_name: dict = {s.name: s for s in known}
    for e in exprs:
        by_name.update({s.name: s for s in e.free_symbols})
    names = dict(by_name)  # the symbols that may be fixed; a tie may also name ``solved``
    if solved is not None:
        by_name.setdefault(solved.name, solved)
    table = {}
    for key, value in fixed.items():
        if key not in names:
            raise SolveError(f"{where}: no symbol named {key!r} to fix; the symbols are "
                             f"{', '.join(sorted(names)) or 'none'}. {_received(**{key: value})}")
        if isinstance(value, str):  # "H", "H/2": read safely, as model.subs reads text
            value = text_value(value, by_name, key, where)
        table[by_name[key]] = _fixed_value(by_name[key], _as_expr(value, key, where), where)
    if ties is not None:
        ties.extend(_tie_conditions(table))
    return [_written_out(e.xreplace(table)) for e in exprs]


def text_value(text: str, by_name: Mapping, key: str, where: str) -> sympy.Expr:
    """A fixed value given as text (``W="H"``, ``W="H/2"``, ``alpha="0.75"``), read with
    symcnn's safe expression parser over the symbols at hand (never evaluated as Python);
    a number is read exactly (``"0.75"`` is 3/4). A :class:`SolveError` says why text does
    not read (``admissible`` and the solvers share it)."""
    try:
        return parse_expression(text, by_name)
    except ExpressionError as err:
        reason = str(err).removeprefix("expression: ").split(". Received:")[0]
        raise SolveError(f"{where}: the value fixed for {key} does not read as a number or "
                         f"an expression in {', '.join(sorted(by_name)) or 'no symbol'}: "
                         f"{reason}. {_received(**{key: text})}") from None


def _tie_conditions(table: dict) -> list:
    """The conditions that keep each tied value (an expression, ``W=H - 40``) one its symbol
    takes: at least its least integer (1 for a size, 0 for one declared non-negative) and
    an integer (``W=H/2``: ``H`` even) for an integer symbol, positive for a multiplier;
    those its structure does not already prove (``2*w`` is a size). Without them an answer
    could be a value where the tie is 0 and the model cannot be built, as ``admissible``
    and ``model.subs`` know.

    >>> H, W = sympy.symbols("H W", integer=True, positive=True)
    >>> _tie_conditions({W: H - 40}), _tie_conditions({W: 2*H}), _tie_conditions({W: H/2})
    ([H - 40 >= 1], [], [H/2 >= 1, Eq(floor(H/2), H/2)])
    """
    out = []
    for symbol, value in table.items():
        if value.is_number:  # checked by _fixed_value
            continue
        if symbol.is_integer:
            least = least_integer(symbol)
            proven = lower_bound(value)
            if least is not None and (proven is None or proven < least):
                out.append(sympy.Ge(value, least, evaluate=False))
            if not integer_valued(value):  # W=H/2: an integer for even H only
                out.append(sympy.Eq(sympy.floor(value), value, evaluate=False))
        elif symbol.is_positive and value.is_positive is not True:
            out.append(sympy.Gt(value, 0, evaluate=False))
    return out


#: Most terms a sum over repetitions is written out with once its count is fixed.
MAX_SUM_TERMS = 1000


def _written_out(expr):
    """``expr`` with each sum whose limits became numbers written out term by term, and
    each sum of a polynomial in its index in closed form.

    The MACs of ``Repeat(block, "L")`` with strided blocks are a sum over the repetitions
    with no closed form; with ``L=3`` fixed it is a polynomial with roundings, which is
    solved exactly. A sum of more than :data:`MAX_SUM_TERMS` terms stays a sum (and is
    refused as outside the solved forms). A sum of a polynomial in its index
    (``Sum(t, (t, 1, L))``) is one in ``L`` (``L**2/2 + L/2``, Faulhaber's formula), for
    every integer ``L``.
    """
    if not isinstance(expr, sympy.Basic) or not expr.has(sympy.Sum):
        return expr

    def polynomial(e) -> bool:
        if not isinstance(e, sympy.Sum) or len(e.limits) != 1 or e.function.has(sympy.Sum):
            return False
        index = e.limits[0][0]
        return e.function.is_polynomial(index) and not any(
            isinstance(f, sympy.Function) and index in f.free_symbols
            for f in sympy.preorder_traversal(e.function))

    expr = expr.replace(polynomial, lambda e: sympy.expand(sympy.summation(e.function,
                                                                           e.limits[0])))

    def short(e) -> bool:
        if not isinstance(e, sympy.Sum) or len(e.limits) != 1:
            return False
        _, lo, hi = e.limits[0]
        return lo.is_Integer and hi.is_Integer and abs(int(hi) - int(lo)) < MAX_SUM_TERMS

    def terms(e):
        index, lo, hi = e.limits[0]
        if hi < lo - 1:  # SymPy's (Karr's) convention: minus the terms from hi + 1 to lo - 1
            return -sympy.Add(*(e.function.xreplace({index: i})
                                for i in range(int(hi) + 1, int(lo))))
        return sympy.Add(*(e.function.xreplace({index: i}) for i in range(int(lo), int(hi) + 1)))

    return expr.replace(short, terms)


def _fixed_value(symbol: sympy.Symbol, value, where: str):
    """``value`` for ``symbol``, refused where ``model.subs`` would refuse it: a size is a
    positive integer (``H=0`` or ``H=2.5`` would give counts of no model). A tie that is an
    integer for some values only (``W=H/2``) is kept: :func:`_tie_conditions` restricts the
    symbol solved for to them, as ``admissible`` does."""
    what = "a positive integer (a size)" if symbol.is_integer else "positive"
    if symbol.is_integer and (value.is_integer is False or value.is_number and
                              value.is_integer is not True) or \
            symbol.is_positive and value.is_positive is False:
        known = "" if value.is_number or value.is_integer is False else " known to be"
        raise SolveError(f"{where}: {symbol} is {what}; the value fixed for it is not{known} "
                         f"one. {_received(**{symbol.name: value})}")
    return value


def _lowest(x: sympy.Symbol) -> int:
    return 0 if x.is_positive is not True and x.is_nonnegative else 1


def _domain(x: sympy.Symbol, where: str, step=None) -> tuple:
    """``(lo, parity)``: the solved symbol ranges over the integers from ``lo`` (1, or 0 for
    a symbol declared non-negative), of one parity when declared even or odd (``parity`` an
    :class:`IntegerSet`, else None). Assumptions the solvers cannot honour are refused
    (negative, zero, prime, non-integer, ...): answering over the positive integers would
    give values the symbol cannot take."""
    why = ""
    if x.is_commutative is False:
        why = "it is not commutative"
    elif x.is_integer is False:
        why = "it takes no integer value"
    elif x.is_positive is False:
        why = "it takes no positive value"
    elif x.is_prime or x.is_composite:
        why = f"it is {'prime' if x.is_prime else 'composite'}"
    elif step is not None and (x.is_even or x.is_odd):
        why = "a grid of steps does not keep to its parity"
    if why:
        raise SolveError(f"{where}: cannot solve for {x}, {describe_symbol(x)}: {why}, and "
                         f"{where} answers over the positive integers (from 0 for a symbol "
                         f"declared non-negative, of one parity for one declared even or "
                         f"odd); make it with sc.symbols({x.name!r}) (a positive integer) "
                         f"or sc.multiplier({x.name!r}). {_received(symbol=x)}")
    parity = None
    if x.is_even or x.is_odd:
        parity = IntegerSet(2, {0 if x.is_even else 1: [(0, None)]})
    return _lowest(x), parity


def _relations_set(relations: list, x, lo: int, where: str, shown,
                   constraints: bool = False, counts=frozenset()) -> IntegerSet:
    extra = set().union(*(r.free_symbols for r in relations)) - {x} if relations else set()
    if extra:
        clash = _clash(extra | {x})
        if clash:
            raise SolveError(f"{where}: {clash}. {_received(expr=shown)}")
        names = sorted(s.name for s in extra)
        counted = set(counts) | set(_sum_counts(relations)) | {
            s.name for r in relations for s in exponent_symbols(r)}  # counts are small
        example = 3 if names[0] in counted else 224  # a repeat count: small; a size: 224
        them = "it" if len(names) == 1 else "them"
        if constraints:  # the model's conditions, not the budgeted expression
            holding = [r for r in relations if r.free_symbols & extra]
            one = len(holding) == 1
            raise SolveError(f"{where}: the model's condition{'' if one else 's'} "
                             f"{', '.join(map(show, holding))} on {x} also "
                             f"depend{'s' if one else ''} on {', '.join(names)}; fix {them} by "
                             f"keyword (e.g. {names[0]}={example}). {_received(expr=shown)}")
        raise SolveError(f"{where}: the expression still has the free symbol(s) "
                         f"{', '.join(names)} besides {x}; fix them by keyword (e.g. "
                         f"{names[0]}={example}). "
                         f"{_received(expr=shown)}")
    try:
        return relation_set(relations, x, lo)
    except NotQuasiPolynomial as err:
        if constraints:  # the model's conditions, not the budgeted expression
            raise SolveError(
                f"{where}: cannot decide which values of {x} the model admits: in its "
                f"conditions {', '.join(map(show, relations))}, {err.reason}. symcnn solves "
                f"polynomials with floor, ceiling and Mod; sc.sweep evaluates the model over "
                f"a range of {x} and masks the values it does not admit. "
                f"{_received(expr=shown)}") from None
        raise SolveError(f"{where}: cannot decide {x} exactly: {err.reason}. symcnn solves "
                         f"polynomials with floor, ceiling and Mod; sc.sweep evaluates other "
                         f"expressions over a range.{_sum_hint(relations, x)} "
                         f"{_received(expr=shown)}") from None


def _sum_counts(relations: list) -> list:
    """The names of the symbols counting the repetitions a sum in ``relations`` runs over."""
    return sorted({s.name for r in relations for e in r.atoms(sympy.Sum)
                   for s in e.limits[0][2].free_symbols})


def _sum_hint(relations: list, x) -> str:
    """Why a sum over repetitions was left a sum, and what to do about it. (Every other
    symbol has been fixed by now: a sum still left runs over ``x`` or is too long.)"""
    if x.name in _sum_counts(relations):
        return (f" It is a sum over the repetitions counted by {x}, the symbol solved for, "
                f"and has no closed form in {x}: solve for another symbol with {x} fixed by "
                f"keyword ({x}=3: the sum is written out), or sweep {x} "
                f"(sc.sweep(expr, {x}=range(1, 20))).")
    if any(r.has(sympy.Sum) for r in relations):
        return (f" It sums over more repetitions than the {MAX_SUM_TERMS} that are written "
                f"out term by term.")
    return ""


# -------------------------------------------------------------------- budget problems


@dataclass
class _Problem:
    pairs: list                      # [(expr, budget)] after fixing
    symbol: sympy.Symbol
    constraints: list = field(default_factory=list)
    where: str = "solve_budget"
    counts: frozenset = frozenset()  # names of the model's repetition counts

    @property
    def shown(self):
        return self.pairs[0][0] if len(self.pairs) == 1 else {e: b for e, b in self.pairs}


def _unwrapped(expr, constraints: list, known: set, counts: set):
    """The quantity budgeted for ``expr``: a model's parameters, a
    :class:`~symcnn.training_memory.TrainingMemory`'s total; their constraints (and
    symbols, repetition counts) are added to ``constraints`` (``known``, ``counts``)."""
    if isinstance(expr, (sympy.Basic, Mapping)):
        return expr
    if hasattr(expr, "params") and hasattr(expr, "constraints"):  # a model: its params
        constraints.extend(c for c in expr.constraints if c not in constraints)
        known |= expr.free_symbols
        counts |= repeat_counts(expr)
        return expr.params
    if hasattr(expr, "total") and hasattr(expr, "constraints"):
        # a TrainingMemory: its total, under the model's conditions
        constraints.extend(c for c in expr.constraints if c not in constraints)
        known |= frozenset().union(*(sympy.sympify(c).free_symbols for c in expr.constraints))
        return expr.total
    return expr


def _problem(expr, budget, symbol, fixed: Mapping, where: str) -> _Problem:
    constraints: list = []
    known: set = set()
    counts: set = set()
    expr = _unwrapped(expr, constraints, known, counts)
    if isinstance(expr, Mapping):
        if symbol is not None:
            raise SolveError(f"{where}: with a dict of budgets, pass the symbol second: "
                             f"{where}({{params: 5e6, macs: 1e9}}, w). {_received(symbol=symbol)}")
        symbol, pairs = budget, [
            (_as_expr(_unwrapped(e, constraints, known, counts), "expr", where),
             _as_expr(b, "budget", where)) for e, b in expr.items()]
        if not pairs:
            raise SolveError(f"{where}: the dict of budgets is empty. {_received(expr=expr)}")
    else:
        if budget is None or symbol is None:
            raise SolveError(f"{where}: give the expression, the budget and the symbol: "
                             f"{where}(expr, 100_000, n). {_received(budget=budget, symbol=symbol)}")
        pairs = [(_as_expr(expr, "expr", where), _as_expr(budget, "budget", where))]
    return _build(pairs, symbol, fixed, constraints, where, frozenset(known),
                  frozenset(counts))


def _check_solved_symbol(x, named: bool, pairs: list, fixed: Mapping, where: str,
                         known=()) -> None:
    """Refuse a symbol to solve for that is also fixed, or a name (``named``: given as
    text) that no budgeted expression (nor the model, ``known``) has, nor a tie names
    (``c1="w"``, ``c1=w``): the answer would be "does not depend on it", a misleading one."""
    if x.name in fixed:
        raise SolveError(f"{where}: {x} is the symbol solved for and is fixed too; leave "
                         f"{x}={brief(fixed[x.name])} out to solve for {x}, or solve for "
                         f"another symbol. {_received(**{x.name: fixed[x.name]})}")
    names = {s.name for pair in pairs for v in pair for s in getattr(v, "free_symbols", ())}
    names |= {s.name for s in known}
    tied = {s.name for v in fixed.values() for s in getattr(v, "free_symbols", ())}
    tied |= {name for v in fixed.values() if isinstance(v, str)
             for name in re.findall(r"[^\W\d]\w*", v)}
    if named and names and x.name not in names | tied:  # a constant: "does not depend on" it
        raise SolveError(f"{where}: no symbol named {x.name!r} to solve for; the symbols are "
                         f"{', '.join(sorted(names))}. {_received(symbol=x.name)}")


def _refuse_symbolic_budget(expr, budget, x, where: str) -> None:
    """A budget depending on the symbol solved for: most likely ``solve_budget(100_000,
    model.params, n)``, the expression and the budget swapped (which would answer "within
    budget for arbitrarily large n")."""
    if where.startswith("Model"):
        how = "a quantity's budget is a number: model.solve_budget(params=100_000, for_=n)"
    else:
        swap = " did you swap expr and budget?" if x not in expr.free_symbols else ""
        how = (f"the budget must be a number;{swap} {where}(expr, budget, symbol), e.g. "
               f"{where}(model.params, 100_000, {x}) (to compare with a quantity that "
               f"grows with {x}, {where}(expr - quantity, 0, {x}))")
    raise SolveError(f"{where}: the budget depends on {x}, the symbol solved for; {how}. "
                     f"{_received(expr=expr, budget=budget)}")


def _build(pairs: list, symbol, fixed: Mapping, constraints: list, where: str,
           known=(), counts=frozenset()) -> _Problem:
    x = _symbol(symbol, [e for e, _ in pairs], where)
    _check_solved_symbol(x, isinstance(symbol, str), pairs, fixed, where, known)
    ties: list = []
    flat = _fix([v for pair in pairs for v in pair] + list(constraints), fixed, where, known,
                ties, solved=x)
    k = 2 * len(pairs)
    for (expr, budget), fixed_budget in zip(pairs, flat[1:k:2]):
        if x in fixed_budget.free_symbols:
            _refuse_symbolic_budget(expr, budget, x, where)
        if fixed_budget.free_symbols:  # solve_budget(model.params, H, n): not "the expression"
            names = sorted(s.name for s in fixed_budget.free_symbols)
            has = ("is the symbol " if fixed_budget.is_Symbol else
                   f"is {show(fixed_budget)}, which depends on ") + ", ".join(names)
            raise SolveError(f"{where}: the budget must be a number, and it {has}; give the "
                             f"number, or fix {'it' if len(names) == 1 else 'them'} by "
                             f"keyword (e.g. {names[0]}=224). {_received(budget=budget)}")
    for c, source in zip(flat[k:], constraints):  # on the integers and on a grid alike
        c = sympy.sympify(c)
        if c is sympy.false or (not c.free_symbols and c is not sympy.true and not bool(c)):
            names = {s.name for s in sympy.sympify(source).free_symbols}
            given = {key: value for key, value in fixed.items() if key in names} or fixed
            raise SolveError(f"{where}: the fixed values violate the model's condition "
                             f"{show(source)}, so no size is valid. "
                             f"{_received(**{**given, 'constraint': show(source)})}")
    return _Problem(list(zip(flat[0:k:2], flat[1:k:2])), x, flat[k:] + ties, where,
                    frozenset(s.name for s in counts))


def _constraint_relations(problem: _Problem) -> list:
    """The model's conditions on the solved symbol (others must be decided or irrelevant;
    :func:`_build` refused the ones the fixed values violate)."""
    x = problem.symbol
    return [c for c in map(sympy.sympify, problem.constraints) if x in c.free_symbols]


def _solve_sets(problem: _Problem):
    """``(within, admissible, lo)``: the values of the symbol within every budget and
    admissible, those admissible, and the least value it takes. A budgeted quantity that
    does not depend on the symbol is within its budget for every value or for none, so the
    admissible values decide the rest (``H >= 2**L`` bounds a depth ``L``)."""
    x, where = problem.symbol, problem.where
    lo, parity = _domain(x, where)
    if x.is_integer is not True and x.is_real:  # a multiplier: not only whole values
        raise SolveError(f"{where}: {x} takes fractional values (it is not an integer symbol), "
                         f"and {where} answers over the integers; sc.solve_budget(expr, budget, "
                         f"{x}, step=Fraction(1, 20)) answers on a grid of steps. "
                         f"{_received(symbol=x)}")
    admissible = _relations_set(_constraint_relations(problem), x, lo, where, problem.shown,
                                constraints=True, counts=problem.counts)
    if parity is not None:
        admissible = admissible.intersection(parity)
    # Unevaluated where x appears: SymPy would first try (for tens of ms on a large
    # polynomial) to decide the relation with its assumptions; relation_set decides it exactly.
    within = _relations_set([sympy.Le(e, b, evaluate=not (e - b).has(x))
                             for e, b in problem.pairs], x, lo, where, problem.shown,
                            counts=problem.counts)
    return within.intersection(admissible), admissible, lo


def _depends(problem: _Problem) -> bool:
    """Whether a budgeted quantity (or its budget) depends on the symbol solved for."""
    x = problem.symbol
    return any(x in e.free_symbols or x in b.free_symbols for e, b in problem.pairs)


def _constant_unbounded(problem: _Problem) -> str:
    """Why a quantity that does not depend on the symbol, within its budget, has no largest
    value: the values the symbol may take (the model admits) are unbounded."""
    x = problem.symbol
    takes = (f"the model admits arbitrarily large {x}" if _constraint_relations(problem)
             else f"{x} takes arbitrarily large values")
    return (f"the expression does not depend on {x} and is within the budget, so every value "
            f"of {x} is, and {takes}: there is no largest value")


def _largest(problem: _Problem) -> int | None:
    within, admissible, lo = _solve_sets(problem)
    x, where = problem.symbol, problem.where

    def unbounded() -> str:
        if not _depends(problem):
            return (f"{where}: {_constant_unbounded(problem)}; the values within budget are "
                    f"{within.to_sympy()}. {_received(expr=problem.shown)}")
        return (f"{where}: the expression stays within the budget for arbitrarily "
                f"large {x} (it does not grow with {x}), so there is no largest value; "
                f"the values within budget are {within.to_sympy()}. "
                f"{_received(expr=problem.shown)}")

    def gaps() -> str:
        return (f"{where}: the expression does not grow with {x} everywhere, so no "
                f"single largest value answers the question: the values of {x} within "
                f"budget are {within.to_sympy()} (sc.within_budget returns this set). "
                f"{_received(expr=problem.shown)}")

    return largest_within(within, admissible, lo, unbounded, gaps)


def solve_budget(expr, budget=None, symbol=None, /, *, step=None, **fixed: Any):
    """The largest value of ``symbol`` keeping ``expr`` within ``budget``, exactly.

    Forms: ``solve_budget(expr, budget, symbol, **fixed)``; ``solve_budget({expr: budget,
    ...}, symbol, **fixed)`` for several budgets at once; a model in place of ``expr``
    for its parameters, and a :class:`~symcnn.training_memory.TrainingMemory`
    (``model.training_memory(...)``) for its total: their constraints then restrict the
    symbol to admissible values (``mem.total`` alone has none).
    Other symbols are fixed by keyword (``H=224``); a fixed value may itself be an expression
    in ``symbol``, which ties several symbols to one (``c2=2*w``; ``W=H/2`` keeps to the
    values where it is a positive integer, even ``H``), also as text (``W="H/2"``,
    ``c2="2*w"``: the text may name the symbol solved for; read by symcnn's safe expression
    parser, never evaluated). Several budgets may include a model or a ``TrainingMemory``
    as a key, with its constraints.

    A budget is an int, a Fraction, a Decimal, a SymPy number, a float, or a tensor or array
    holding one number (``torch.tensor(100_000)``); a float is taken as
    the decimal it prints (``1e23`` is ``10**23``, not the nearest double, which is
    ``10**23 - 8388608``), as the command line reads ``--budget 1e23``. A float inside the
    expression is taken only when it is exactly the decimal it prints (``0.5``, not ``0.1``:
    write ``sympy.Rational(1, 10)``). Units (``"25M"``,
    ``"1MiB"``) are the command line's: in Python write ``25e6`` or ``2**20``.

    Returns ``a`` such that every admissible value ``1..a`` is within budget and none above
    it is, or ``None`` when no admissible value is: not even the smallest value fits, or
    the values that fit are outside the model's constraints (MobileNetV3 needs ``alpha >
    10/81``; ``symcnn solve`` says which). ``sc.within_budget`` of the bare quantity
    (``model.macs``, which carries no constraints) and ``model.constraints`` tell the two
    apart. When the values within budget are not of that form (the expression does not grow
    with the symbol) it raises :class:`~symcnn.errors.SolveError` showing the set: never a
    wrong single number.

    >>> import symcnn as sc
    >>> n, H = sc.symbols("n H")
    >>> sc.solve_budget(n**2 + H*n, 1000, n, H=10)  # 27**2 + 270 = 999
    27
    >>> sc.solve_budget(64*n**2 + 100*sympy.floor(n/3), 5000, n)  # 64*8**2 + 200 = 4296
    8
    >>> sc.solve_budget({160*n: 100_000, n**2: 50_000}, n)  # the second budget binds
    223

    ``step`` (a positive rational such as ``Fraction(1, 20)``, ``Decimal("0.05")`` or the
    text ``"0.05"``, read exactly as ``--step 0.05``) answers
    on the grid ``step, 2*step, ...``: for a width multiplier (:func:`symcnn.multiplier`),
    whose channel roundings ``make_divisible`` are solved exactly there (:mod:`symcnn.grids`).

    >>> from fractions import Fraction
    >>> alpha = sc.multiplier("alpha")
    >>> params = sc.zoo.mobilenet_v2(alpha=alpha).trainable_params
    >>> sc.solve_budget(params, 3_000_000, alpha, step=Fraction(1, 20))
    17/20
    """
    problem = _problem(expr, budget, symbol, fixed, "solve_budget")
    return _largest(problem) if step is None else _on_grid(problem, step)


def _on_grid(problem, step):
    """The largest grid value ``k*step`` within budget (see :func:`solve_budget`)."""
    return largest_on_grid(problem, _grid_step(problem, step))


def _grid_step(problem, step):
    """``step`` as an exact positive rational for the symbol solved for (``"0.05"`` is
    1/20, as ``--step 0.05`` reads it), refused where the symbol cannot keep to a grid."""
    _domain(problem.symbol, problem.where, step)
    step = _one_element(step, "step", problem.where)
    if isinstance(step, str):  # "0.05" is 1/20, as --step 0.05 reads it
        try:
            step = exact_value(step, "step", problem.where)
        except SymcnnError:
            raise SolveError(f"{problem.where}: `step` must be a positive number (0.05, "
                             f"\"1/20\", Fraction(1, 20)). {_received(step=step)}") from None
    if isinstance(step, Decimal) and step.is_finite() and step > 0:
        exact = Fraction(step)  # its exact decimal value, as a Decimal budget is taken
        step = sympy.Rational(exact.numerator, exact.denominator)
    if problem.symbol.is_integer and not _as_expr(step, "step", problem.where).is_integer:
        raise SolveError(f"{problem.where}: {problem.symbol} is an integer symbol, so a grid "
                         f"of fractional steps would answer values it cannot take; leave out "
                         f"step= (or solve for a multiplier, sc.multiplier). "
                         f"{_received(step=step)}")
    return step


#: Most grid values :func:`within_budget` lists one by one (more: an ``ImageSet``).
MAX_LISTED = 1000


def within_budget(expr, budget=None, symbol=None, /, *, step=None, **fixed: Any) -> sympy.Set:
    """Every positive integer value of ``symbol`` keeping ``expr`` within ``budget``.

    Same forms as :func:`solve_budget`; the answer is a SymPy set (``Range`` pieces), empty
    or unbounded as the case may be. With ``step`` (as in :func:`solve_budget`: a positive
    rational, ``"0.05"`` read exactly) the answer is the grid values ``step, 2*step, ...``
    within budget: a ``FiniteSet`` (up to :data:`MAX_LISTED` values), else the ``ImageSet``
    ``k*step`` over the grid indices ``k``.

    >>> import symcnn as sc
    >>> n = sc.symbols("n")
    >>> sc.within_budget(n**2 - 10*n + 30, 30, n)  # dips, then grows
    Range(1, 11, 1)
    >>> sc.within_budget(n**2 - 10*n + 30, 10, n)
    Range(3, 8, 1)
    >>> sc.within_budget(10*sc.multiplier("a"), 2, "a", step="0.05")
    {1/20, 1/10, 3/20, 1/5}
    """
    problem = _problem(expr, budget, symbol, fixed, "within_budget")
    if step is None:
        return _solve_sets(problem)[0].to_sympy()
    within, _, step = grid_sets(problem, _grid_step(problem, step))
    if within.is_bounded and within.count() <= MAX_LISTED:
        return sympy.FiniteSet(*(j * step for j in within))
    k = sympy.Symbol("k" if problem.symbol.name != "k" else "j", integer=True, positive=True)
    return sympy.ImageSet(sympy.Lambda(k, k * step), within.to_sympy())


# ------------------------------------------------------------------------- equations


@dataclass(frozen=True)
class Solution:
    """The answer of :func:`solve`.

    Attributes:
        symbol: the symbol solved for.
        equation: ``Eq(expr, target)`` after fixing the other symbols.
        integers: the positive integer solutions as a SymPy set (possibly empty), or ``None``
            when they cannot be listed (other symbols left free, or an expression outside
            polynomials with floor/ceiling/Mod; see :attr:`note`).
        real: closed-form positive real solutions (SymPy expressions, possibly in the other
            symbols), solving the equation with every ``floor``/``ceiling`` replaced by its
            argument when :attr:`relaxed` is True; ``None`` when they are not sought (see
            :attr:`real_note`), so an empty tuple always means there are none.
        relaxed: whether ``real`` solves that continuous relaxation rather than the equation.
        note: why :attr:`integers` is ``None``, else ``""``.
        real_note: why :attr:`real` is ``None``, else ``""``.

    >>> import symcnn as sc
    >>> n = sc.symbols("n")
    >>> s = sc.solve(160*n + 48320, 49920, n)
    >>> s.integers, s.real, s.relaxed
    ({10}, (10,), False)
    >>> s.equation
    Eq(160*n + 48320, 49920)
    """

    symbol: sympy.Symbol
    equation: Any
    integers: Any
    real: tuple | None
    relaxed: bool
    note: str = ""
    real_note: str = ""

    def __repr__(self) -> str:
        return (f"Solution({self.symbol}: integers={self.integers}, real={self.real}"
                f"{', relaxed' if self.relaxed else ''})")


#: Highest polynomial degree whose real roots ``solve`` computes.
MAX_DEGREE = 64


def _transcendental(expr, x) -> bool:
    """Whether ``x`` appears in an exponent or inside a function other than floor/ceiling."""
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Pow) and x in node.exp.free_symbols:
            return True
        if isinstance(node, sympy.Function) and x in node.free_symbols and not isinstance(
                node, (sympy.floor, sympy.ceiling, sympy.Min, sympy.Max, sympy.Mod)):
            return True
    return False


def _real_solutions(expr, target, x) -> tuple[tuple | None, bool, str]:
    """``(roots, relaxed, why)``: the positive real roots, or None and why they are not
    sought."""
    relaxed_expr = expr.replace(lambda e: isinstance(e, (sympy.floor, sympy.ceiling)),
                                lambda e: e.args[0])
    relaxed = relaxed_expr != expr
    sums = [e for e in (expr - target).atoms(sympy.Sum) if x in e.free_symbols]
    if sums:  # sympy.solve answers [] for Sum(t, (t, 1, x)) = 55: not "no root"
        return None, relaxed, (f"{x} is in the sum {show(sums[0])}, which has no closed form "
                               f"in {x}, where real roots are not sought (sc.sweep evaluates "
                               f"it over a range of {x})")
    equation = sympy.expand(relaxed_expr - target)
    if equation == 0:  # not an empty tuple: that says no positive real root exists
        return None, relaxed, (f"the equation holds for every {x}"
                               f"{' (its floors and ceilings relaxed)' if relaxed else ''}, "
                               f"so the real roots are every positive number")
    if not (equation.free_symbols - {x}) and equation.is_polynomial(x):
        poly = sympy.Poly(equation, x)
        if poly.degree() <= 0:
            return (), relaxed, ""
        if poly.degree() > MAX_DEGREE:  # bounded work (issue 15)
            return None, relaxed, (f"the real roots of a polynomial of degree "
                                   f"{poly.degree()} are not sought (at most {MAX_DEGREE})")
        if poly.domain.is_ZZ or poly.domain.is_QQ:  # exact isolation of the real roots
            roots = sorted(set(poly.real_roots()), key=lambda r: sympy.N(r, 30))
            return tuple(r for r in roots if r > 0), relaxed, ""
        if poly.degree() > 4:  # irrational coefficients (sqrt(2)): closed forms to degree 4
            return None, relaxed, (f"the real roots of a polynomial of degree {poly.degree()} "
                                   f"with irrational coefficients are not sought (at most 4)")
    if _transcendental(relaxed_expr, x) or not equation.is_polynomial(x) and len(
            equation.free_symbols) > 1:  # sympy.solve may not finish: no real roots offered
        return None, relaxed, (f"{x} appears in an exponent, a function or beside other "
                               f"symbols outside a polynomial, where real roots are not sought")
    t = sympy.Dummy(x.name, positive=True)
    try:
        sols = sympy.solve(sympy.Eq(relaxed_expr.xreplace({x: t}), target), t)
    except (NotImplementedError, ValueError, TypeError):
        return None, relaxed, "SymPy finds no closed form for the real roots"
    return tuple(s for s in sols if s.is_positive is not False and s.is_real is not False
                 and not (s.is_number and s.is_real is not True)), relaxed, ""


def solve(expr, target, symbol, /, **fixed: Any) -> Solution:
    """Solve ``expr == target`` for ``symbol``: the exact integer solutions and the real ones.

    ``target`` is a number or an expression; a float is the decimal it prints, as a budget
    of :func:`solve_budget` is.

    >>> import symcnn as sc
    >>> w = sc.symbols("w")
    >>> s = sc.solve(3*w**2 + 10*w, 500, w)     # no integer width gives exactly 500
    >>> s.integers, s.real
    (EmptySet, (-5/3 + 5*sqrt(61)/3,))
    >>> sc.solve(sympy.floor(w/2) + 10, 13, w).integers
    Range(6, 8, 1)
    """
    where = "solve"
    e, t = _as_expr(expr, "expr", where), _as_expr(target, "target", where)
    x = _symbol(symbol, [e, t], where)
    lo, parity = _domain(x, where)
    ties: list = []  # a tie (W=H/2) holds where the tied value is one its symbol takes
    e, t = _fix([e, t], fixed, where, ties=ties, solved=x)
    real, relaxed, real_note = _real_solutions(e, t, x)
    note, integers = "", None
    others = (e.free_symbols | t.free_symbols) - {x}
    if others and x not in e.free_symbols | t.free_symbols:  # nothing to say about x
        names = sorted(s.name for s in others)
        why = _clash(others | {x}) or (
            f"the expression does not depend on {x} and still has the free symbol(s) "
            f"{', '.join(names)}; solve for one of them, or fix them by keyword (e.g. "
            f"{names[0]}=224)")
        raise SolveError(f"{where}: {why}. {_received(expr=e, target=t)}")
    if others:
        note = _clash(others | {x}) or \
            f"the symbol(s) {', '.join(sorted(s.name for s in others))} are not fixed"
    else:
        try:
            equation = sympy.Eq(e, t, evaluate=False)  # deciding it may factor e - t
            found = relation_set([equation] + [r for r in ties if r.free_symbols <= {x}],
                                 x, lo)
            integers = (found if parity is None else found.intersection(parity)).to_sympy()
        except NotQuasiPolynomial as err:
            note = err.reason
    if integers is None and not real and _transcendental(e - t, x):
        raise SolveError(f"{where}: cannot solve for {x}: it appears in an exponent or a "
                         f"function ({note or 'not a polynomial'}); symcnn solves polynomials "
                         f"with floor, ceiling and Mod exactly, and sc.sweep evaluates other "
                         f"expressions over a range. {_received(expr=e, target=t)}")
    return Solution(x, sympy.Eq(e, t, evaluate=False), integers, real, relaxed, note,
                    real_note)


# ----------------------------------------------------------------------------- models


def model_solve_budget(model, for_=None, budgets: Mapping | None = None, *, step=None):
    """``model.solve_budget(params=5_000_000, macs=10**9, for_=w, H=224)``, see the method.

    Keywords naming a model quantity (``params``, ``trainable_params``, ``macs``, ...) are
    budgets; keywords naming one of the model's symbols fix it. The model's constraints
    restrict the answer to admissible values. ``step`` answers on the grid ``step,
    2*step, ...`` as :func:`solve_budget` does (``symcnn solve --step``).
    """
    where = f"Model {getattr(model, 'display_name', '')!r} solve_budget"
    names = {s.name for s in model.free_symbols}
    pairs, fixed = {}, {}
    for key, value in (budgets or {}).items():
        named = quantity(model, key)
        if named is not None:
            pairs[key] = (named, value)
        elif key in names:
            fixed[key] = value
        else:
            raise SolveError(f"{where}: {key!r} is neither a quantity of the model (params, "
                             f"trainable_params, ...) nor one of its symbols "
                             f"({', '.join(sorted(names)) or 'none'}). {_received(**{key: value})}")
    if not pairs:  # a budget given first lands in for_: say so
        hint = " (budgets are keywords: the first argument is the symbol for_)" \
            if isinstance(for_, (int, float, Fraction, Decimal)) else ""
        raise SolveError(f"{where}: give at least one budget, e.g. params=5_000_000{hint}. "
                         f"{_received(for_=for_, **(budgets or {}))}")
    exprs = [(e, _as_expr(v, q, where, amount=True)) for q, (e, v) in pairs.items()]
    if for_ is None:
        known = model.free_symbols
        free = set().union(*(e.free_symbols for e in _fix([e for e, _ in exprs], fixed, where,
                                                           known)))
        clash = _clash(free)
        if clash:
            raise SolveError(f"{where}: {clash}. {_received(for_=for_)}")
        if not free:
            raise SolveError(f"{where}: the budgeted quantities depend on no symbol left to "
                             f"solve for (every symbol is fixed); leave one out of the fixed "
                             f"values, or compare the quantities with the budget. "
                             f"{_received(**fixed)}")
        if len(free) != 1:
            raise SolveError(f"{where}: say which symbol to solve for with for_=...; the "
                             f"budgeted quantities depend on {sorted(s.name for s in free)}. "
                             f"{_received(for_=for_)}")
        for_ = free.pop()
    problem = _build(exprs, for_, fixed, list(model.constraints), where, model.free_symbols)
    return _largest(problem) if step is None else _on_grid(problem, step)
