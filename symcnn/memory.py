"""Peak activation memory for inference, as a closed form.

The model runs its layer calls one at a time in ``model.nodes`` order (nested models and
``Repeat`` blocks are run inline; a block repeated a number of times that keeps the shape is
run once, or twice for a count of 2 or more: every later repetition has the second one's
tensors alive). A symbolic count ``L`` runs it twice too, the second run's totals counting
only where ``L >= 2``: the peak is then ``Max(p1, Min(1, L - 1)*p2)``, ``p1`` for one
repetition and ``p2`` for more (a skip around the ``Repeat`` keeps its input alive beside
the first repetition's output during the second). A tensor is alive from the call that
produces it until its last consumer has run; the model's inputs are alive from the start
and its outputs until the end. While a call runs, its inputs and its outputs are alive
together. The peak is the largest total of alive elements over the calls. Parameters,
workspace buffers and in-place tricks (PyTorch's ``ReLU(inplace=True)``) are not counted.

With symbolic sizes the peak is a ``Max`` of the candidate totals that cannot be ordered for
every admissible value of the symbols; substitute values (``model.subs(H=224)``) for a number.

>>> import symcnn as sc
>>> x = sc.Input(("H", "W", 8))
>>> y = sc.Conv2D(8, 3, padding="same")(x)
>>> m = sc.Model(x, sc.Add()([x, y]))
>>> peak_activation_elements(m)      # x, y and their sum at the Add
24*H*W
>>> peak_activation_memory(m, "float16")
48*H*W
"""

from __future__ import annotations

import itertools
from collections import ChainMap
from fractions import Fraction

import sympy

from .arith import prove_nonnegative, terms
from .costs import _memo, dtype_bytes, elements, inner_model
from .errors import CostError
from .layers.core import InputLayer
from .exact_values import linear_form, number, values_at
from .ordering import lattice
from .signs import nonnegative_monomial
from .structural import IdentityMemo

__all__ = ["schedule", "peak_activation_elements", "peak_activation_memory", "max_of"]


def schedule(model, size=elements):
    """The flattened execution: ``(steps, sizes, outputs)``.

    ``steps`` lists ``(input_keys, output_keys)`` per call (the first step yields the model
    inputs), ``sizes`` maps a key to ``size`` of its tensor's shape (by default its
    elements) and ``outputs`` holds the keys of the model's outputs.
    """
    steps: list = []
    sizes, outputs = _walk(model, size, lambda ins, outs: steps.append((ins, outs)))
    return steps, sizes, outputs


def _walk(model, size, emit, when=None) -> tuple:
    """:func:`schedule` step by step: ``emit(input_keys, output_keys)`` per call, the same
    keys on every walk; returns ``(sizes, outputs)``. Nothing is kept per step (a deep
    model's peak memory walks it twice rather than keep thousands of tuples alive).

    With ``when`` (a list, for :func:`_peak`), a block repeated a symbolic number ``L`` of
    times runs twice too, as a numeric count of 2 or more does, and while its second run's
    steps are emitted ``when`` holds their counts ``L``: those steps happen only where every
    such ``L`` is at least 2."""
    counter = itertools.count()
    sizes: dict = {}

    def fresh(shape):
        key = next(counter)
        sizes[key] = size(shape)
        return key

    def run(m, keys: dict) -> None:
        for node in m.nodes:
            if isinstance(node.layer, InputLayer):
                continue
            ins = tuple(keys[id(t)] for t in node.inputs)
            nested = inner_model(node)
            if nested is None:
                hidden = getattr(node.layer, "hidden_activations", None)  # issue 18: Repeat
                if hidden is not None and hidden(node.input_shapes):
                    raise CostError(hidden(node.input_shapes), substitute=_brought_in(node))
                outs = tuple(fresh(t.shape) for t in node.outputs)
                emit(ins, outs)
                for t, k in zip(node.outputs, outs):
                    keys[id(t)] = k
                continue
            inner, times = nested
            if times == 0:  # an empty Repeat passes its input through
                keys[id(node.outputs[0])] = ins[0]
                continue
            # A numeric count of 2 or more runs the block twice: the second repetition reads
            # the first one's output while the Repeat's input may still be alive (a skip
            # around it), and every later repetition repeats the second's live tensors.
            # A symbolic count runs twice where ``when`` asks: the second run's steps exist
            # only for counts of 2 or more (a skip around the Repeat keeps its input alive
            # through the second repetition, which the first does not show).
            numeric = getattr(times, "is_Integer", False)
            runs = 2 if numeric and times >= 2 or not numeric and when is not None else 1
            for repetition in range(runs):
                conditional = repetition == 1 and not numeric
                if conditional:
                    when.append(times)
                sub = {id(t): k for t, k in zip(inner.inputs, ins)}
                run(inner, sub)
                ins = tuple(sub[id(t)] for t in inner.outputs)
                if conditional:
                    when.pop()
            for outer, k in zip(node.outputs, ins):
                keys[id(outer)] = k

    top = {id(t): fresh(t.shape) for t in model.inputs}
    emit((), tuple(top.values()))
    run(model, top)
    return sizes, {top[id(t)] for t in model.outputs}


def _brought_in(node) -> list:
    """The names of the symbols a layer call brings in: in its outputs' shapes but in none
    of its inputs' (a ``Repeat``'s count ``L`` in ``floor(H/2**L)``)."""
    inputs = set().union(*(sympy.sympify(d).free_symbols for s in node.input_shapes for d in s))
    outputs = set().union(*(sympy.sympify(d).free_symbols for t in node.outputs
                            for d in t.shape))
    return sorted(s.name for s in outputs - inputs)


def max_of(candidates, lower_bounds: dict | None = None) -> sympy.Expr:
    """The largest of ``candidates``: a number, or ``Max`` of those not ordered for every value.

    A candidate is dropped when another is at least as large for every admissible value of
    the symbols (each symbol at least its ``lower_bounds`` entry, else 1), or when it is at
    most a weighted average of one-term candidates; this is proved
    (:func:`symcnn.arith.prove_nonnegative`, and structurally for the averages), never
    sampled (sampling only orders the work and disproves). What cannot be proved stays in
    the Max.

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> max_of([2*H, H + 1, 3*H, 7])
    Max(7, 3*H)
    >>> max_of([2*H, H + 1, 3*H, 7], {H: 3})
    3*H

    A candidate at most a weighted average of one-term candidates goes too:
    ``a + b = (2*a)/2 + (2*b)/2``, so it is never above both.

    >>> a, b = symbols("a b")
    >>> max_of([2*a, 2*b, a + b, a + 2])
    Max(2*a, 2*b, a + 2)
    """
    return _max_of_terms([terms(c) for c in candidates], lower_bounds)


def _coefficient(c) -> sympy.Expr:
    if isinstance(c, Fraction):
        return sympy.Rational(c.numerator, c.denominator)
    return sympy.Integer(c) if isinstance(c, int) else c


def _to_expr(items: dict, monomials: list) -> sympy.Expr:
    return sympy.Add(*(_coefficient(c) * monomials[m] for m, c in items.items()))


class _Interned:
    """Distinct monomials numbered 0, 1, ...: looked up by identity, and by equality only
    the first time an object is met."""

    def __init__(self) -> None:
        self.monomials: list = []
        self._by_id: dict = {}
        self._by_value: dict = {}
        self._kept: list = []  # every object looked up, so that no id is reused meanwhile

    def index(self, m) -> int:
        i = self._by_id.get(id(m))
        if i is None:
            i = self._by_value.setdefault(m, len(self.monomials))
            if i == len(self.monomials):
                self.monomials.append(m)
            self._by_id[id(m)] = i
            self._kept.append(m)
        return i


def _values(mono, points: list, memo: IdentityMemo | None = None) -> tuple:
    """``mono``'s exact values at ``points``: read off its tree (no SymPy arithmetic, whose
    caches compare deep strided sizes that hash alike), else substituted."""
    fast = values_at(mono, points, memo)
    return fast if fast is not None else tuple(  # xreplace takes a dict (not a ChainMap)
        number(mono.xreplace(p if isinstance(p, dict) else dict(p))) for p in points)


class _Probes:
    """Exact values of monomials at a few admissible points, each monomial evaluated once."""

    def __init__(self, symbols: list, low: dict, monomials: list,
                 free_symbols: list | None = None) -> None:
        self.low, self.monomials = low, monomials
        self.points = [{s: low[s] + k for s in symbols} for k in (0, 1, 2, 5)] + [
            {s: low[s] + 1000 + 7 * i for i, s in enumerate(symbols)},
            {s: low[s] + 3 * (i % 2) for i, s in enumerate(symbols)},
            {s: low[s] + 1000 + 7 * (len(symbols) - i) for i, s in enumerate(symbols)}]
        self._memo: dict = {}
        self._subexpressions = IdentityMemo()  # values_at's memo
        self._index = {s: i for i, s in enumerate(symbols)}
        self._symbols: dict = dict(enumerate(free_symbols or ()))  # each monomial's
        self._big, self._raised = None, {}

    def monomial(self, m: int) -> tuple:
        if m not in self._memo:
            self._memo[m] = _values(self.monomials[m], self.points, self._subexpressions)
        return self._memo[m]

    def values(self, items: dict) -> tuple:
        total = [0] * len(self.points)
        for m, c in items.items():
            c = number(c)
            for i, v in enumerate(self.monomial(m)):
                total[i] += c * v
        return tuple(total)

    def raised(self, items: dict, s, big: int):
        """The value with every symbol at its lower bound except ``s = big``: a monomial
        without ``s`` keeps its value at the lower bounds (the first point)."""
        if big != self._big:
            self._big, self._raised = big, {}
        index = self._index[s]
        total = 0
        for m, c in items.items():
            if s not in self.symbols_of(m):
                total += number(c) * self.monomial(m)[0]
                continue
            key = m * len(self._index) + index  # an int: no container kept per pair
            if key not in self._raised:
                point = ChainMap({s: big}, self.low)  # the lower bounds read through
                self._raised[key] = _values(self.monomials[m], [point])[0]
            total += number(c) * self._raised[key]
        return total

    def symbols_of(self, m: int):
        if m not in self._symbols:
            self._symbols[m] = self.monomials[m].free_symbols
        return self._symbols[m]


def _max_of_terms(items: list, lower_bounds: dict | None) -> sympy.Expr:
    """:func:`max_of` on :func:`symcnn.arith.terms` dictionaries, in time about linear in
    their number when few of them survive or each involves few symbols.

    Two exact shortcuts avoid comparing every pair. (1) A candidate ``b`` that grows past
    every candidate's value at the lower bounds when one of its symbols ``s`` alone is raised
    cannot be dominated by any candidate without ``s`` (that candidate's value does not move
    with ``s``): so only candidates holding all such symbols of ``b`` are compared with it,
    found through an index by symbol. (2) A sample where ``a < b`` disproves ``a >= b`` at
    once; a difference whose terms are all nonnegative proves it at once; only the rest goes
    to the general proof.
    """
    # Monomials become small integers (one per distinct monomial, found by object identity
    # first): SymPy's hashes of ceiling(H/2**k) repeat with period 61 in k (Python hashes
    # integers modulo 2**61 - 1), so deep strided models would make every dictionary keyed by
    # monomials compare deep expressions again and again.
    interned = _Interned()
    one = interned.index(sympy.S.One)
    rows = [{interned.index(m): number(c) for m, c in d.items()} for d in items]
    monos = interned.monomials
    unique = list({frozenset(d.items()): d for d in rows}.values())
    if all(all(m == one for m in d) for d in unique):
        return max(_to_expr(d, monos) for d in unique) if unique else sympy.Integer(0)
    mono_syms = [m.free_symbols for m in monos]
    symbols = sorted(set().union(*(mono_syms[m] for d in unique for m in d)), key=str)
    low = {s: int((lower_bounds or {}).get(s, 0 if s.is_positive is not True else 1))
           for s in symbols}
    probes = _Probes(symbols, low, monos, mono_syms)
    values = [probes.values(d) for d in unique]
    syms = [frozenset().union(*(mono_syms[m] for m in d)) for d in unique]
    ceiling_at_low = max(v[0] for v in values)
    big = 10**6 * (abs(ceiling_at_low) + 1)
    growing = [frozenset(s for s in syms[i] if probes.raised(d, s, big) > ceiling_at_low)
               for i, d in enumerate(unique)]
    frequency: dict = {}
    for group in syms:
        for s in group:
            frequency[s] = frequency.get(s, 0) + 1
    rare = [min(g, key=lambda s: (frequency[s], s.name)) if g else None for g in growing]

    def at_least(a: int, b: int) -> bool:
        if any(x < y for x, y in zip(values[a], values[b])):
            return False
        if not growing[b] <= syms[a]:
            return False
        diff = dict(unique[a])
        for m, c in unique[b].items():
            diff[m] = diff.get(m, 0) - c
        return prove_nonnegative({monos[m]: _coefficient(c) for m, c in diff.items() if c},
                                 lower_bounds)

    order = sorted(range(len(unique)), key=lambda i: -values[i][4])
    kept: dict = {}  # index -> None, in order of arrival
    holders: dict = {}  # symbol -> kept indices holding it (dicts as ordered sets)
    by_rare: dict = {}  # the rarest growing symbol (or None) -> kept indices
    for c in order:
        rivals = list(kept) if rare[c] is None else list(holders.get(rare[c], ()))
        if any(at_least(k, c) for k in rivals):
            continue
        victims = [k for key in (None, *syms[c]) for k in by_rare.get(key, ())
                   if at_least(c, k)]
        for k in dict.fromkeys(victims):
            del kept[k]
            for s in syms[k]:
                del holders[s][k]
            del by_rare[rare[k]][k]
        kept[c] = None
        for s in syms[c]:
            holders.setdefault(s, {})[c] = None
        by_rare.setdefault(rare[c], {})[c] = None
    survivors = _not_below_an_average(list(kept), unique, monos)
    result = [_to_expr(unique[k], monos) for k in survivors]
    # Max(*result, evaluate=False), each argument's sort key computed once (SymPy's cache of
    # 1,000 keys misses at every sort when a deep chain keeps thousands of arguments)
    return result[0] if len(result) == 1 else lattice(sympy.Max, result)


def _not_below_an_average(kept: list, rows: list, monos: list) -> list:
    """``kept`` without the candidates that are at most a weighted average of single-term
    ones, so at most their maximum: ``H*W*a + H*W*b`` when ``2*H*W*a`` and ``2*H*W*b`` are
    candidates (a layer between two that keep their width, as BatchNormalization and ReLU).

    A candidate ``sum(c_i*m_i)`` (every monomial ``m_i`` nonnegative) goes when each term
    with ``c_i > 0`` has a single-term candidate ``b_i*m_i`` (``b_i > 0``) and
    ``sum(c_i/b_i) <= 1``: then it is at most ``sum((c_i/b_i)*(b_i*m_i))``, a weighted
    average of candidates that stay (a single term is never dropped here). Linear time."""
    single: dict = {}  # monomial -> the largest positive coefficient of a one-term candidate
    for k in kept:
        if len(rows[k]) == 1:
            ((m, c),) = rows[k].items()
            if c > 0 and nonnegative_monomial(monos[m]) and c > single.get(m, 0):
                single[m] = c
    if not single:
        return kept

    def averaged(row: dict) -> bool:
        if len(row) < 2 or not all(nonnegative_monomial(monos[m]) for m in row):
            return False
        weight = Fraction(0)
        for m, c in row.items():
            if c > 0:
                if m not in single:
                    return False
                weight += Fraction(c) / Fraction(single[m])
        return weight <= 1

    return [k for k in kept if not averaged(rows[k])]


def peak_activation_elements(model) -> sympy.Expr:
    """The largest number of activation elements alive at once during inference.

    >>> import symcnn as sc
    >>> peak_activation_elements(sc.Sequential([sc.Input((10,)), sc.Dense(20), sc.Dense(5)]))
    30
    """
    return _memo(model, "peak", lambda: _peak(model))


def _peak(model) -> sympy.Expr:
    # memos keyed by object identity (the objects are kept alive in the values): SymPy's
    # hashes of ceiling(H/2**k) repeat with period 61 in k, so deep strided models would
    # make hash-keyed lookups compare deep expressions again and again
    dims: dict = {}
    products: dict = {}
    shapes: dict = {}

    def shape_terms(shape) -> dict:  # elements(shape) as terms, without expanding a product
        for dim in shape:
            if id(dim) not in dims:
                dims[id(dim)] = (dim, {m: number(c) for m, c in _dim_terms(dim).items()})
        key = tuple(id(dim) for dim in shape)  # the dims are kept in dims: ids not reused
        if key in shapes:  # a layer's output often has its input's shape (BN, ReLU)
            return shapes[key]
        out = {sympy.S.One: 1}
        for dim in shape:
            product: dict = {}
            for m1, c1 in out.items():
                for m2, c2 in dims[id(dim)][1].items():
                    if m1 is sympy.S.One or m2 is sympy.S.One:
                        m = m2 if m1 is sympy.S.One else m1
                    else:
                        pair = (id(m1), id(m2))
                        if pair not in products:
                            products[pair] = (m1, m2, m1 * m2)
                        m = products[pair][2]
                    product[m] = product.get(m, 0) + c1 * c2
            out = {m: c for m, c in product.items() if c}
        shapes[key] = out  # shared between tensors of one shape: read, never changed
        return out

    last: dict = {}  # each tensor's last step (first walk)
    index = itertools.count()

    def last_use(ins, outs) -> None:
        i = next(index)
        for k in ins:
            last[k] = i
        for k in outs:
            last.setdefault(k, i)

    sizes, outputs = _walk(model, shape_terms, last_use, when=[])
    end = next(index)
    for k in outputs:
        last[k] = end
    freed = sorted(last, key=last.__getitem__)  # by last step; ties in order of last
    alive: dict = {}  # the alive total as terms (no SymPy arithmetic per step)
    candidates = []
    conditional: dict = {}  # counts that must be at least 2 -> their steps' candidates
    when: list = []

    def add(key, sign) -> None:
        for m, c in sizes[key].items():
            value = alive.get(m, 0) + sign * c
            if not value:
                alive.pop(m, None)
            else:
                alive[m] = value

    position = [0, 0]  # the step, and the next key of freed

    def walk(_, outs) -> None:  # the second walk: the same steps and keys
        for k in outs:
            add(k, 1)
        if when:  # a step of a symbolic count's second repetition
            conditional.setdefault(tuple(when), []).append(dict(alive))
        elif not candidates or alive != candidates[-1]:  # a repeat changes no maximum
            candidates.append(dict(alive))
        step, j = position
        while j < len(freed) and last[freed[j]] == step:
            add(freed[j], -1)
            j += 1
        position[:] = step + 1, j

    _walk(model, lambda shape: None, walk, when)
    bounds = {c.lhs: c.rhs for c in model.constraints
              if isinstance(c, sympy.GreaterThan) and isinstance(c.lhs, sympy.Symbol)
              and c.rhs.is_Integer}
    peak = _max_of_terms(candidates, bounds)
    extra = []  # where the counts are at least 2: Min(1, L - 1) is 1 there, 0 at L = 1
    for counts, steps in conditional.items():
        larger = _max_of_terms(candidates + steps, bounds)
        if larger != peak:
            factor = sympy.Mul(*(sympy.Min(1, sympy.expand(t - 1)) for t in counts))
            extra.append(factor * larger)
    return sympy.Max(peak, *extra) if extra else peak


def _dim_terms(dim) -> dict:
    """:func:`terms` of one dimension; a symbol, a number or a rounding of a linear
    argument (``ceiling(H/2**k)``) is its own single term, with no expansion (SymPy's
    ``expand`` looks it up in a cache where deep strided models' hashes collide).

    >>> H = sympy.Symbol("H", integer=True, positive=True)
    >>> _dim_terms(sympy.ceiling(H/8)), _dim_terms(sympy.Integer(16)), _dim_terms(H - 2)
    ({ceiling(H/8): 1}, {1: 16}, {1: -2, H: 1})
    """
    if dim.is_Integer:
        return {sympy.S.One: dim} if dim else {}
    if dim.is_Symbol or isinstance(dim, (sympy.floor, sympy.ceiling)) and \
            linear_form(dim.args[0]) is not None:
        return {dim: sympy.S.One}
    return terms(dim)


def peak_activation_memory(model, dtype="float32") -> sympy.Expr:
    """Peak activation memory in bytes at ``dtype`` (see :func:`peak_activation_elements`).

    >>> import symcnn as sc
    >>> peak_activation_memory(sc.Sequential([sc.Input((10,)), sc.Dense(20)]), "float32")
    120
    """
    peak, size = peak_activation_elements(model), dtype_bytes(dtype)
    if isinstance(peak, sympy.Max):  # its arguments are expanded already: expand nothing
        return size * peak
    return sympy.expand(peak * size)
