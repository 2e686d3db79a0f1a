"""The display form of closed forms: what every printer shows (``sc.show``).

Stored closed forms are canonical SymPy, expanded over their rounding atoms, so that
``model.params == 160*n + 48320`` works in user code. A person reads them through
:func:`show` (text) or :func:`display_form` (an unevaluated SymPy expression that the LaTeX
and MathML printers render), which

- writes every rounding atom over one denominator: ``floor((H + 4)/8)``, never
  ``floor(H/8 + 1/2)``;
- factors a sum over the rounding atoms it shares, where that is shorter: a rounding is
  shifted by the integer that makes the most terms cancel (``floor((H + 4)/8) - 1``) unless
  that grows the coefficients (a completed square), and the terms with the same atoms are
  collected, so each atom appears once;
- moves a rounding by a multiple of an integer symbol where that cancels terms outside it
  (:func:`_symbol_shifts`): the stored ``floor((3*K + H)/4) - K`` (a symbol's coefficient
  kept between 0 and the denominator) reads ``floor((H - K)/4)``, a Flatten of such sizes
  ``8*(floor((H - K)/4) - 2)*(floor((W - K)/4) - 2)``, a nested rounding over a symbolic
  stride ``floor((floor((H - K_1)/S) - K_2 + 1)/2)``;
- shows an inequality with symbols on its right as a difference against a constant where
  that is shorter: ``floor((floor(H/S) - K + 1)/2) >= 3``, never ``floor((K + floor(H/S) +
  1)/2) >= K + 3``;
- shifts a plain symbol the same way where the sum becomes a product of sizes:
  ``27*w*(H - 2)*(W - 2)``, ``5*w**2*(H - 1)*(W - 3)**2``, never ``160*(n + 302)`` for
  ``160*n + 48320`` nor a lone size (:func:`_plain_shifts`);
- orders terms by degree, highest first (``1152*w**2 + 16*w``), a positive term first: a
  difference reads ``16 - k``, never ``-k + 16``; among terms of one degree, and among the
  factors of a product, numbers in names compare as numbers (``c_16 + c_24 + c_40 + c_288``,
  :func:`symcnn.ordering.natural_key`), and roundings and other atoms go in their own order;
- writes an integer of more than six digits inside a rounding as a power when it is one of
  a base from 2 to 10 (:func:`integer_power`): ``ceiling(H/2**20)``, LaTeX
  ``\\left\\lceil{\\frac{H}{2^{20}}}\\right\\rceil``, never ``ceiling(H/1048576)``; smaller
  integers (32, 1024, 524288), coefficients outside roundings (``2097152*ceiling(H/32)``,
  as the other MAC counts of a table) and an integer on its own (a count: ``show(2**20)``)
  stay decimal. The text of a deep strided chain thus grows with its depth, not with the digits of
  ``2**k`` (151 at 500 strides).

The display form is exact: read back with :func:`symcnn.parse_expression` and expanded, it is
the stored expression (a property test checks it).

>>> import sympy
>>> from symcnn import symbols
>>> H, W, w = symbols("H W w")
>>> A, B = sympy.floor((H + 4)/8), sympy.floor((W + 4)/8)
>>> show(16*w*A*B - 16*w*A - 16*w*B + 16*w)
'16*w*(floor((H + 4)/8) - 1)*(floor((W + 4)/8) - 1)'
>>> show(1152*w**2 + 16*w), show(sympy.ceiling(H/2) - 1)
('1152*w**2 + 16*w', 'ceiling(H/2) - 1')
>>> sympy.latex(display_form(sympy.floor(H/32 + sympy.Rational(5, 8))))
'\\\\left\\\\lfloor{\\\\frac{H + 20}{32}}\\\\right\\\\rfloor'
>>> show(sympy.ceiling(H/2**500) + 3**20*W), show(2**20), show(sympy.floor(H/1024))
('3486784401*W + ceiling(H/2**500)', '1048576', 'floor(H/1024)')
>>> K = symbols("K")
>>> show(sympy.floor((H + 3*K)/4) - K - 2)
'floor((H - K)/4) - 2'
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from math import comb

import sympy
from sympy import Add, Mul, Pow, ceiling, floor
from sympy.printing.conventions import split_super_sub

from ..ordering import lattice, natural_key
from ..safe import MAX_DIGITS, BoundError, int_text, to_expr
from ..structural import IdentityMemo, ValueKey, as_fraction, is_expanded
from .printers import (POWER_BASES, POWER_MIN_DIGITS, integer_power, latex_printer,
                       text_printer)

__all__ = ["display_form", "show", "show_latex", "latex_printer", "text_printer", "canonical_text",
           "integer_power", "CACHE_SIZE", "MAX_TERMS", "POWER_MIN_DIGITS", "POWER_BASES"]

#: Distinct expressions whose display form is kept (a ResNet-50 has a few hundred).
CACHE_SIZE = 1 << 16
#: Above this many expanded terms an expression is shown in order, neither shifted nor
#: factored (the search for shifts costs a few expansions per atom).
MAX_TERMS = 200

_POLY_HEADS = (sympy.Add, sympy.Mul, sympy.Symbol, sympy.Number)


def show(expr) -> str:
    """The text of a closed form as every summary, repr, message and command prints it.

    >>> from symcnn import symbols
    >>> show(symbols("n") * 160 + 48320)
    '160*n + 48320'
    """
    seen = _SHOWN.get(expr)
    if seen is not None:
        return seen
    value = _value(expr, "show")
    if getattr(value, "is_Integer", False):  # a count: decimal, also beyond Python's
        return int_text(value)  # 4,300-digit str() limit
    text = _show(value)
    if isinstance(expr, sympy.Basic):
        _SHOWN.put(expr, text)
    return text


#: ``show``'s texts by the identity of the expression shown (a model shows the same shape
#: objects in many rows): SymPy's hashes of ``ceiling(H/2**k)`` repeat with period 61 in
#: ``k`` (Python hashes integers modulo ``2**61 - 1``), so in a deep strided model a lookup
#: by value compares deep expressions with several others of the same hash.
_SHOWN = IdentityMemo(size=CACHE_SIZE)


def show_latex(expr) -> str:
    """The LaTeX of a closed form's display form.

    >>> import sympy
    >>> from symcnn import symbols
    >>> show_latex(sympy.floor(symbols("H")/8 + sympy.Rational(1, 2)) - 1)
    '\\\\left\\\\lfloor{\\\\frac{H + 4}{8}}\\\\right\\\\rfloor - 1'
    >>> H, L, s = symbols("H L s")
    >>> print(show_latex(sympy.floor((H + 3)/(2**L*s**2))))  # one fraction, never nested
    \\left\\lfloor{\\frac{H + 3}{2^{L} s^{2}}}\\right\\rfloor
    """
    form = display_form(expr)
    return str(form) if form.is_Integer else latex_printer().doprint(form)


def canonical_text(expr) -> str:
    """The stored (expanded) form as text, each rounding over one denominator: what machine
    readable output (JSON) holds, so that :func:`symcnn.parse_expression` gives back the very
    same expression.

    >>> import sympy
    >>> from symcnn import symbols
    >>> A = sympy.floor(symbols("H")/8 + sympy.Rational(1, 2))
    >>> canonical_text(16*A - 16)
    '16*floor((H + 4)/8) - 16'
    """
    expr = to_expr(expr, "canonical_text", "expr")
    try:
        if not expr.has(floor, ceiling):
            return str(expr)
        return str(expr.replace(lambda e: isinstance(e, (floor, ceiling)), _show_atom))
    except ValueError:  # Python's int-to-text limit: a number of more than 4,300 digits
        names = sorted(s.name for s in expr.free_symbols)
        raise BoundError(f"canonical_text: the closed form holds a number of more than "
                         f"{MAX_DIGITS:,} digits, which its text (read back by "
                         f"parse_expression) cannot hold; show() writes it. Received: an "
                         f"expression in {', '.join(names[:8]) or 'no symbols'}"
                         f"{', ...' if len(names) > 8 else ''}") from None


def _value(expr, owner: str):
    """A SymPy object (expression, relation) as given; anything else read safely."""
    if isinstance(expr, sympy.Basic):
        return expr
    return to_expr(expr, owner, "expr")


def _show(expr) -> str:
    return _show_keyed(ValueKey(expr))


@lru_cache(maxsize=CACHE_SIZE)
def _show_keyed(key) -> str:
    expr = key.expr
    if _SHORTCUTS and expr.is_Mul:
        coeff, rest = expr.as_coeff_Mul()
        # a monomial c*m (c > 1; expanded: its factors are numbers, symbols, their positive
        # powers and roundings): m's text after the coefficient, as the display puts it; a
        # network's MACs are such products over a few distinct m (ceiling(H/4)*...)
        if coeff.is_Integer and coeff > 1 and is_expanded(expr):
            return f"{int_text(coeff)}*{_show(rest)}"
    return text_printer().doprint(_display_keyed(key))  # display_form(expr), key shared


def display_form(expr):
    """``expr`` as an unevaluated SymPy expression laid out for reading (see the module).

    Equal to ``expr`` (``sympy.expand`` gives it back); for printing only, never for further
    computation.
    """
    return _display(_value(expr, "display_form"))


def _display(expr):
    return _display_keyed(ValueKey(expr))


@lru_cache(maxsize=CACHE_SIZE)
def _display_keyed(key):
    expr = key.expr
    if isinstance(expr, sympy.Tuple):
        return sympy.Tuple(*(_display(e) for e in expr))
    if expr.is_Relational:
        return _relation(expr)
    if not isinstance(expr, sympy.Expr) or expr.is_number and not expr.has(floor, ceiling):
        return expr
    atoms = _atoms(expr)
    if not atoms and expr.is_Atom:
        return expr
    digits = len(str(len(atoms)))  # names that sort as the atoms do: a02 before a10
    dummies = [sympy.Dummy(f"a{i:0{digits}d}") for i in range(len(atoms))]
    shown = {d: _show_atom(a) for d, a in zip(dummies, atoms)}
    poly = expr.xreplace(dict(zip(atoms, dummies)))
    if not (_SHORTCUTS and is_expanded(poly)):  # a monomial, a model's total
        poly = sympy.expand(poly)
    if 1 < len(Add.make_args(poly)) <= MAX_TERMS:
        poly, shown = _symbol_shifts(poly, dummies, atoms, shown)
    gens = sorted(poly.free_symbols, key=sympy.default_sort_key)
    if not poly.is_polynomial(*gens):
        return _rebuild(poly, shown)
    if len(Add.make_args(poly)) == 1:  # one term: no shift removes a term, nothing to collect
        return _product(poly, {}, shown)
    if len(Add.make_args(poly)) > MAX_TERMS:
        return _arrange(poly, {}, shown, dummies, collect=False)
    plain = _arrange(poly, {}, shown, dummies, collect=False)
    sizes = {d for d, a in zip(dummies, atoms) if isinstance(a, (floor, ceiling))}
    shifts = _best_shifts(poly, dummies, sizes) if dummies else {}
    moved, after = _plain_shifts(poly, [g for g in gens if g not in shown])
    if _SHORTCUTS and not shifts and not moved and not _shares_atoms(poly, dummies):
        return plain  # collecting and shifting would give back the very same sum
    if _SHORTCUTS and moved and not dummies and len(after) == 1:  # one product of sizes (a
        candidates = [_shifted_product(after, moved)]  # row's MACs), built from its terms
    else:
        candidates = [_arrange(poly, {}, shown, dummies),
                      _shifted(poly, shifts, moved, shown, dummies)]
        peers = _peers(after, moved) if moved else {}
        if peers:  # collected beside the shifted symbols, unshifted
            candidates.append(_shifted(poly, shifts, {**moved, **peers}, shown, dummies))
    best, best_len = plain, len(text_printer().doprint(plain))
    for candidate in candidates:
        length = len(text_printer().doprint(candidate))
        if length < best_len:
            best, best_len = candidate, length
    return best


def _symbol_shifts(poly, dummies: list, atoms: list, shown: dict) -> tuple:
    """``(poly, shown)`` with roundings moved by multiples of an integer symbol: ``floor((a +
    d*m*K)/d) == floor(a/d) + m*K`` (and alike for ``ceiling``) for a symbol ``K`` of integer
    values and an integer ``m``, taken where the terms ``m*K`` outside the rounding cancel.

    The stored form keeps a symbol's coefficient inside a rounding between 0 and the
    denominator (``floor((3*K + H)/4) - K``, :func:`symcnn.arith.floor_div`); the display
    reads ``floor((H - K)/4)``. A move is taken when it removes terms of ``poly`` and
    lightens the symbol (:func:`_symbol_weight`: its coefficients outside, and inside over
    the denominator): never ``floor((3*K + A + 1)/2)`` for ``K + floor((K + A + 1)/2)``
    (``A`` another rounding), which only moves the ``K`` inside. Each moved rounding gets a
    new entry in ``shown`` (its dummy now stands for it); the integer shifts
    (:func:`_best_shifts`) then work on the result.
    """
    present = poly.free_symbols  # the plain symbols and the atoms' dummies
    for d, atom in zip(dummies, atoms):
        if not isinstance(atom, (floor, ceiling)) or d not in present:
            continue
        num, den = as_fraction(atom.args[0])
        if not (den.is_Integer and den > 1):
            continue
        candidates = sorted((k for k in num.free_symbols if k in present and k.is_integer),
                            key=natural_key)
        moved, before = False, poly
        for k in candidates:
            size = len(Add.make_args(poly))
            weight = _symbol_weight(poly, k) + _symbol_weight(num, k) / den
            best = None
            for m in sorted(_symbol_shift_candidates(poly, d, k), key=abs):
                trial = sympy.expand(poly.xreplace({d: d + m * k}))
                moved_num = sympy.expand(num - den * m * k)
                n = len(Add.make_args(trial))
                if n < (best[0] if best else size) and \
                        _symbol_weight(trial, k) + _symbol_weight(moved_num, k) / den < weight:
                    best = (n, trial, moved_num)
            if best is not None:
                _, poly, num = best
                moved = True
        if moved and _double_negative(poly, d, num):  # -floor(-H/2): H - floor(H/2) reads
            poly, moved = before, False  # better; keep it
        if moved:
            shown = {**shown, d: type(atom)(Mul(_display(num), *_reciprocals(den),
                                                evaluate=False), evaluate=False)}
            present = poly.free_symbols
    return poly, shown


def _double_negative(poly, d, num) -> bool:
    """Whether the rounding ``d`` of ``num`` would read as the negation of a rounding of a
    negation: every symbol of ``num`` and every term of ``poly`` in ``d`` negative."""
    inside = [t.as_coeff_Mul()[0] for t in Add.make_args(num) if t.free_symbols]
    outside = [t.as_coeff_Mul()[0] for t in Add.make_args(poly) if t.has(d)]
    return all(c < 0 for c in inside) and all(c < 0 for c in outside)


def _symbol_weight(poly, k):
    """The sum of the absolute values of the coefficients of ``poly``'s terms in ``k``."""
    return sum(abs(term.as_coeff_Mul()[0]) for term in Add.make_args(poly)
               if term.has(k))


def _symbol_shift_candidates(poly, d, k, keep: int = 4) -> list:
    """Integers ``m`` for which ``d -> d + m*k`` cancels a term of ``poly`` (a term
    ``c*d**e*r`` against ``-e*m*c*d**(e - 1)*r*k``)."""
    coeffs = poly.as_coefficients_dict()
    votes: Counter = Counter()
    for mono, coeff in coeffs.items():
        e = mono.as_powers_dict().get(d)
        if e is None or not e.is_Integer or e < 1:
            continue
        lower = coeffs.get(mono / d * k)
        if lower is not None:
            m = -lower / (e * coeff)
            if m.is_Integer and m != 0:
                votes[int(m)] += 1
    return [m for m, _ in votes.most_common(keep)]


#: The inequalities, whose sides may take a common term away (equations are shown as given).
_INEQUALITIES = (sympy.GreaterThan, sympy.StrictGreaterThan, sympy.LessThan,
                 sympy.StrictLessThan)


def _relation(rel):
    """A relation with each side in display form; an inequality whose right side has symbols
    also as ``lhs - rhs`` against its constant, where that reads shorter: ``floor((floor((H -
    K_1)/S) - K_2 + 1)/2) >= 3`` for ``floor((K_2 + floor((H - K_1)/S) + 1)/2) >= K_2 + 3``
    (the same condition: both sides less the same ``K_2``)."""
    shown = rel.func(_display(rel.lhs), _display(rel.rhs), evaluate=False)
    if not isinstance(rel, _INEQUALITIES) or rel.rhs.is_number:
        return shown
    const, core = sympy.expand(rel.lhs - rel.rhs).as_coeff_Add()
    if core.is_number:
        return shown
    moved = rel.func(_display(core), -const, evaluate=False)
    printer = text_printer()
    return moved if len(printer.doprint(moved)) < len(printer.doprint(shown)) else shown


def _shifted(poly, shifts: dict, moved: dict, shown: dict, dummies: list):
    """``poly`` arranged with its atoms shifted by ``shifts`` and its plain symbols by
    ``moved``, each of those through a stand-in shown as the symbol."""
    if moved:
        stand_ins = {g: sympy.Dummy(g.name) for g in moved}
        shown = {**shown, **{d: g for g, d in stand_ins.items()}}
        shifts = {**shifts, **{stand_ins[g]: c for g, c in moved.items()}}
        poly, dummies = poly.xreplace(stand_ins), dummies + list(stand_ins.values())
    shifted = sympy.expand(poly.xreplace({d: d + c for d, c in shifts.items()}))
    return _arrange(shifted, shifts, shown, dummies)


#: Off only in tests, which check that the shortcuts give exactly the full search's text.
_SHORTCUTS = True


def _shares_atoms(poly, dummies: list) -> bool:
    """Whether two terms of ``poly`` have the same atoms (collecting gathers them)."""
    seen, atoms = set(), set(dummies)
    for term in Add.make_args(poly):
        key = frozenset(f for f in Mul.make_args(term) if f.free_symbols & atoms)
        if key and key in seen:
            return True
        seen.add(key)
    return False


def _atoms(expr) -> list:
    """The non-polynomial parts of ``expr`` (floors, ceilings, min, max...), outermost."""
    found: dict = {}  # in the order met; by value, with ValueKey (SymPy's hashes of deep
    met: set = set()  # strided sizes collide), each object looked at once (by identity)

    def visit(e):
        if isinstance(e, _POLY_HEADS) or e.is_Pow and e.exp.is_Integer and e.exp > 0:
            for a in e.args:
                visit(a)
        elif id(e) not in met:  # e lives as long as expr: its id is not reused meanwhile
            met.add(id(e))
            found.setdefault(ValueKey(e), e)

    visit(expr)
    atoms = list(found.values())
    return sorted(atoms, key=natural_key) if len(atoms) > 1 else atoms


def _show_atom(atom):
    """A rounding over one denominator, ``floor((H + 4)/8)``; other atoms' arguments shown.
    Kept by the atom's identity: a model's sizes are shared objects, met again in the MACs
    and shapes of many rows (and looked up by value, ``ceiling(H/2**k)`` collides)."""
    seen = _ATOMS_SHOWN.get(atom)
    return _ATOMS_SHOWN.put(atom, _shown_atom(atom)) if seen is None else seen


_ATOMS_SHOWN = IdentityMemo(size=CACHE_SIZE)


def _shown_atom(atom):
    if isinstance(atom, (floor, ceiling)):
        num, den = as_fraction(atom.args[0])
        if den.is_Integer and den > 1 or not den.is_number and num.is_Add:  # a symbolic
            inner = Mul(_display(sympy.expand(num)), *_reciprocals(den),  # one too: never
                        evaluate=False)  # floor(-k/k + 16/k), but floor((16 - k)/k)
        else:
            inner = _display(atom.args[0])
        return type(atom)(inner, evaluate=False)
    if isinstance(atom, (sympy.Min, sympy.Max)):  # as evaluate=False, sort keys kept
        return lattice(atom.func, [_display(a) for a in atom.args])
    if isinstance(atom, sympy.Sum):  # a Repeat's cost: its term and bounds laid out as any
        return sympy.Sum(_display(atom.function),  # other value, ceiling((H - 2*L)/2**t)
                         *((i, *(_display(b) for b in bounds)) for i, *bounds in atom.limits))
    if atom.is_Function:
        return atom.func(*(_display(a) for a in atom.args), evaluate=False)
    if atom.is_Pow:  # a negative or symbolic power
        return Pow(_display(atom.base), _display(atom.exp), evaluate=False)
    return atom


def _reciprocals(den) -> list:
    """``1/den`` as unevaluated factors, each printed below the line: ``/8``, ``/(k*s)``,
    ``/s**2``, ``/2**(L + 1)`` (a power's exponent negated, as ``-1*(...)`` when symbolic,
    which the printers read as a denominator)."""
    if den.is_Integer:
        return [Pow(den, -1, evaluate=False)]
    factors = []
    for f in Mul.make_args(den):
        base, exp = f.as_base_exp()
        negated = -exp if exp.is_Integer else Mul(-1, _display(exp), evaluate=False)
        factors.append(Pow(_display(base), negated, evaluate=False))
    return factors


def _rebuild(expr, shown):
    """Put the shown atoms back into a non-polynomial expression, keeping its structure."""
    return expr.xreplace(shown)


def _best_shifts(poly, dummies, sizes: set) -> dict:
    """For each atom, the integer ``c`` minimising the terms of ``poly`` in ``atom - c``.

    Any shift of a rounding (a size, ``floor((H + 4)/8) - 1``); another atom (a channel
    count) only when the whole sum becomes one product, ``1000*(make_divisible(32*alpha, 8)
    + 1)``, never a coincidence such as ``make_divisible(320*alpha, 8) + 53`` in a total.

    A shift must also not grow the coefficients (their sum of absolute values): one that
    does completes a square (``6*(floor(H/2) + 362)**2 - 786263`` for
    ``6*floor(H/2)**2 + 4344*floor(H/2) + 1``) instead of uncovering a size such as
    ``floor((H + 4)/8) - 1``.
    """
    shifts: dict = {}
    current = poly
    for d in dummies:
        size, weight = len(Add.make_args(current)), _weight(current)
        best, best_size = 0, size
        for c in sorted(_shift_candidates(current, d), key=abs):  # ties: the smaller shift
            trial = sympy.expand(current.xreplace({d: d + c}))
            n = len(Add.make_args(trial))
            if n < best_size and _weight(trial) <= weight and (d in sizes or n == 1):
                best, best_size, result = c, n, trial
        if best:
            shifts[d] = best
            current = result
    return shifts


#: Above this many expanded terms plain symbols are not shifted (:func:`_plain_shifts`).
PLAIN_SHIFT_TERMS = 64


def _plain_shifts(poly, symbols: list) -> tuple:
    """``({symbol: c}, terms)``: the plain symbols of ``poly`` that read better as ``symbol - c``,
    the sizes they often are: ``27*H*W*w - 54*H*w - 54*W*w + 108*w`` is ``27*w*(H - 2)*(W -
    2)``, the MACs of a "valid" 3x3 convolution.

    A shift is taken when it removes terms without growing the coefficients (as a rounding's,
    :func:`_best_shifts`) and each shifted symbol is then a factor beside another one in every
    term it is in: a product of sizes. A count plus a constant stays as it is (``160*n +
    48320``, never ``160*(n + 302)``), and so does a size alone (``H - 2``). A symbol of
    higher degree is shifted only where that is exact, each of its powers becoming a power of
    one size (``5*w**2*(H - 1)*(W - 3)**2``: :func:`_shift_terms`). The search is arithmetic
    on the terms' coefficients (no expansion): a summary shows thousands of such rows.
    ``terms`` maps each monomial of the shifted polynomial (a frozenset of ``(base,
    exponent)``) to its coefficient.
    """
    coeffs = poly.as_coefficients_dict()
    if not 2 <= len(coeffs) <= PLAIN_SHIFT_TERMS or not symbols:
        return {}, {}
    terms: dict = {}  # monomial (frozenset of (base, exponent)) -> integer coefficient
    for mono, coeff in coeffs.items():
        if not coeff.is_Integer:
            return {}, {}
        terms[frozenset(() if mono == 1 else  # Python integers: exponent arithmetic
                        ((b, int(e)) for b, e in mono.as_powers_dict().items()))] = int(coeff)
    tried = [d for d in symbols if any(b == d and (e > 1 or len(m) > 1) for m in terms
                                       for b, e in m)]
    while tried:  # shift one symbol after another; drop any left alone in a term, retry
        moved, current = {}, terms
        for d in tried:
            shifted = _shift_terms(current, d)
            if shifted is not None:
                moved[d], current = shifted
        alone = [d for d in moved if not all(len(m) > 1 or e > 1 for m in current
                                             for b, e in m if b == d)]
        if not alone:
            return moved, current
        tried = [d for d in moved if d not in alone]
    return {}, terms


def _peers(terms: dict, moved: dict) -> dict:
    """``{symbol: 0}`` for the plain symbols to collect beside the shifted ones (``moved``,
    :func:`_plain_shifts`): those of a shifted symbol's indexed family (``r_2``, ``r_3`` of
    ``r_1``: the same letter, a subscript), each of degree 1 in at least two terms of
    ``terms`` and in no term with a shifted symbol or another peer. The block counts of an
    EfficientNet's stages: a shift by 1 takes the first block out of stage 1 only (the first
    blocks of the later stages read the previous stage's width, they are not the repeated
    block), and the total then reads ``(...)*(r_1 - 1) + (...)*r_2 + ...``, each count once,
    never ``r_2`` in eight terms beside ``r_1 - 1`` collected once."""
    families = {_family(g) for g in moved} - {None}
    if not families:
        return {}
    together: dict = {}  # symbol -> the symbols it shares a term with
    count: Counter = Counter()
    higher = set()
    for mono in terms:
        bases = [b for b, _ in mono]
        for b, e in mono:
            together.setdefault(b, set()).update(bases)
            count[b] += 1
            if e != 1:
                higher.add(b)
    peers: dict = {}
    for g in sorted(together, key=sympy.default_sort_key):
        if g in moved or g in higher or count[g] < 2 or _family(g) not in families or \
                together[g] & (set(moved) | set(peers)):
            continue
        peers[g] = 0
    return peers


@lru_cache(maxsize=1 << 12)
def _family(symbol):
    """The letter of an indexed symbol (``r`` for ``r_1``), None for one without subscript."""
    base, _, subs = split_super_sub(symbol.name)
    return base if subs else None


def _shifted_product(terms: dict, moved: dict):
    """The one term of ``terms`` (:func:`_plain_shifts`) as a product, the shifted symbols
    last: ``27*w*(H - 2)*(W - 2)``."""
    ((mono, coeff),) = terms.items()
    powers = dict(mono)
    plain = [b**e for b, e in sorted(powers.items(), key=lambda p: natural_key(p[0]))
             if b not in moved]
    sizes = []
    for g in sorted(moved, key=natural_key):
        size = Add(g, -moved[g], evaluate=False)
        sizes.append(size if powers[g] == 1 else Pow(size, powers[g], evaluate=False))
    factors = ([] if coeff == 1 else [sympy.Integer(coeff)]) + plain + sizes
    return factors[0] if len(factors) == 1 else Mul(*factors, evaluate=False)


def _shift_terms(terms: dict, d):
    """``(c, terms after d -> d + c)`` for the integer ``c`` that removes the most terms
    without growing the coefficients, or None. Where ``d`` has a higher power, the shift must
    also be exact: each monomial of the other symbols then meets one power of ``d - c``
    alone (``w**2*(W - 3)**2``; never the completed square ``(W + 1)**2 + 4`` of
    ``W**2 + 2*W + 5``)."""
    votes: Counter = Counter()
    by_rest: dict = {}  # monomial without d -> {exponent of d: coefficient}
    for mono, coeff in terms.items():
        e = next((e for b, e in mono if b == d), 0)
        by_rest.setdefault(mono - {(d, e)} if e else mono, {})[e] = coeff
    for powers in by_rest.values():
        for e, coeff in powers.items():  # (d + c)**e: its d**(e - 1) term cancels the lower
            lower = powers.get(e - 1) if e else None
            if lower is not None and lower % (e * coeff) == 0:
                votes[-(lower // (e * coeff))] += 1
    higher = any(e > 1 for powers in by_rest.values() for e in powers)
    weight, best = sum(map(abs, terms.values())), None
    for c in sorted((c for c, _ in votes.most_common(4)), key=abs):
        shifted: dict = {}
        for rest, powers in by_rest.items():
            out = shifted.setdefault(rest, {})
            for e, coeff in powers.items():
                for j in range(e + 1):  # (d + c)**e: binomial(e, j) * c**(e - j) * d**j
                    out[j] = out.get(j, 0) + comb(e, j) * c ** (e - j) * coeff
        trial = {(rest | {(d, j)} if j else rest): v for rest, powers in shifted.items()
                 for j, v in powers.items() if v}
        if higher and any(sum(1 for v in powers.values() if v) > 1
                          for powers in shifted.values()):
            continue
        if len(trial) < (len(best[1]) if best else len(terms)) and \
                sum(map(abs, trial.values())) <= weight:
            best = (c, trial)
    return best


def _weight(poly):
    """The sum of the absolute values of ``poly``'s coefficients."""
    return sum(abs(term.as_coeff_Mul()[0]) for term in Add.make_args(poly))


def _shift_candidates(poly, d, keep: int = 4) -> list:
    """Integers ``c`` that cancel a term of ``poly`` when ``d`` becomes ``d + c``."""
    by_power: dict = {}
    for term in Add.make_args(poly):
        k = int(term.as_powers_dict().get(d, 0))  # a monomial: its exponent of d (no Poly)
        rest = term / d**k if k else term
        coeff, mono = rest.as_coeff_Mul()
        by_power.setdefault(int(k), {})[mono] = coeff
    votes: Counter = Counter()
    for k, terms in by_power.items():
        lower = by_power.get(k - 1, {})
        for mono, coeff in terms.items():
            if k >= 1 and mono in lower:
                c = -lower[mono] / (k * coeff)
                if c.is_Integer and c != 0:
                    votes[int(c)] += 1
    return [c for c, _ in votes.most_common(keep)]


def _degree_key(term, gens):
    """Highest degree first; among equal degrees, terms without rounding atoms first, then
    by their symbols and atoms (names compared naturally, :func:`symcnn.ordering.natural_key`)
    and coefficient: ``4*c_16 + c_20 + 6*c_40`` (SymPy's own key puts every multiple of an
    atom's stand-in before the atoms alone)."""
    rounded = any(isinstance(g, sympy.Dummy) for g in term.free_symbols)
    degrees: dict = {}  # degree in each generator, read off the terms (linear in their size;
    for t in Add.make_args(term):  # sympy.degree builds a Poly per generator: quadratic)
        for base, exp in t.as_powers_dict().items():
            if base in gens:
                degrees[base] = max(degrees.get(base, 0), int(exp))
    coeff, mono = term.as_coeff_Mul()
    return (-sum(degrees.values()), rounded, natural_key(mono), coeff)


def _arrange(poly, shifts: dict, shown: dict, dummies: list, collect: bool = True):
    """``poly`` (over the atoms' dummies, each meaning ``atom - shift``) as a display sum.

    With ``collect`` the terms with the same atoms are gathered into one product whose
    remaining factor is a polynomial in the other symbols (its content taken out).
    """
    gens, atoms = set(poly.free_symbols), set(dummies)
    groups: dict = {}
    for term in Add.make_args(poly):
        atom_part = Mul(*(f for f in Mul.make_args(term) if f.free_symbols & atoms))
        key = atom_part if collect else term
        groups.setdefault(key, []).append(sympy.expand(term / atom_part) if collect else term)
    entries = []
    for key, parts in groups.items():
        if not collect or key == 1:
            entries += [(_degree_key(t, gens), _product(t, shifts, shown)) for t in parts]
            continue
        rest = Add(*parts)
        entries.append((_degree_key(sympy.expand(rest * key), gens),
                        _collected(rest, key, shifts, shown, gens)))
    entries.sort(key=lambda e: e[0])
    terms = _positive_first([e[1] for e in entries])
    return terms[0] if len(terms) == 1 else Add(*terms, evaluate=False)


def _negative(term) -> bool:
    """Whether a display term (a number, or a product with its coefficient first) is
    negative: it prints with a leading minus sign."""
    lead = term.args[0] if term.is_Mul else term
    return bool(lead.is_Number and lead.is_extended_negative)


def _positive_first(terms: list) -> list:
    """``terms`` with the first positive one moved to the front when the first is negative: a
    difference reads ``16 - k``, never ``-k + 16`` (the others keep their order)."""
    if len(terms) < 2 or not _negative(terms[0]):
        return terms
    at = next((i for i, t in enumerate(terms) if not _negative(t)), None)
    return terms if at is None else [terms[at]] + terms[:at] + terms[at + 1:]


def _collected(rest, atom_part, shifts, shown, gens):
    """``rest * atom_part`` as one product: ``64*(w + 2)*floor(H/2)``."""
    if atom_part == 1 or len(Add.make_args(rest)) == 1:
        return _product(sympy.expand(rest * atom_part), shifts, shown)
    content, primitive = rest.as_content_primitive()
    if primitive.could_extract_minus_sign():
        content, primitive = -content, -primitive
    inner = _ordered_sum(primitive, gens)
    factors = ([] if content == 1 else [content]) + [inner] + _atom_factors(atom_part, shifts,
                                                                           shown)
    return Mul(*factors, evaluate=False)


def _ordered_sum(poly, gens):
    terms = _positive_first([_product(t, {}, {}) for t in
                             sorted(Add.make_args(poly), key=lambda t: _degree_key(t, gens))])
    return terms[0] if len(terms) == 1 else Add(*terms, evaluate=False)


def _atom_factors(atom_part, shifts, shown) -> list:
    out = []
    for factor in Mul.make_args(atom_part):
        base, exp = factor.as_base_exp()
        atom = shown[base]
        c = shifts.get(base, 0)
        shown_base = Add(atom, -c, evaluate=False) if c else atom
        out.append(shown_base if exp == 1 else Pow(shown_base, exp, evaluate=False))
    return out


def _factor_key(factor) -> tuple:
    """Where a factor of a product goes: symbols and their powers by the symbol's name, so
    every term of a sum names its symbols in one order (``9*C**2*L + 5*C*L``, which SymPy's
    own order writes ``9*L*C**2 + 5*C*L``); other factors (``2**L``) after them."""
    base = factor.as_base_exp()[0]
    return (not base.is_Symbol, natural_key(base))


def _numbered(factors) -> int:
    """How many of ``factors`` are symbols with a number in their name (``c_16``)."""
    return sum(1 for f in factors if f.is_Symbol and _NUMBERED.search(f.name))


_NUMBERED = re.compile(r"[0-9]")


def _product(term, shifts, shown):
    """One term ``coeff * symbols * atoms`` as an unevaluated product, coefficient first."""
    coeff, rest = term.as_coeff_Mul()
    plain, atoms = [], []
    for factor in Mul.make_args(rest):
        if factor == 1:
            continue
        base = factor.as_base_exp()[0]
        (atoms if base in shown else plain).append(factor)
    if any(f.is_Pow for f in plain) or _numbered(plain) > 1:  # SymPy puts symbols before
        plain.sort(key=_factor_key)  # powers (H*L*C**2), names compared as strings (c_288*c_40)
    factors = plain + _atom_factors(Mul(*atoms), shifts, shown) if atoms else plain
    if coeff != 1 or not factors:
        factors = [coeff] + factors
    if len(factors) == 1:
        return factors[0]
    if _SHORTCUTS and term.is_Mul and len(factors) == len(term.args) and all(
            f is a for f, a in zip(factors, term.args)):
        return term  # the very product (a total's monomial): no copy of it
    return Mul(*factors, evaluate=False)
