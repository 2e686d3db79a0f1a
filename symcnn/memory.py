"""Peak activation memory for inference, as a closed form.

The model runs its layer calls one at a time in ``model.nodes`` order (nested models and
``Repeat`` blocks are run inline). A tensor is alive from the call that produces it until
its last consumer has run; the model's inputs are alive from the start and its outputs
until the end. While a call runs, its inputs and its outputs are alive together. The peak
is the largest total of alive elements over the calls. Parameters, workspace buffers and
in-place tricks (PyTorch's ``ReLU(inplace=True)``) are not counted.

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

import sympy

from .costs import _memo, dtype_bytes, elements, inner_model

__all__ = ["schedule", "peak_activation_elements", "peak_activation_memory", "max_of"]


def schedule(model):
    """The flattened execution: ``(steps, sizes, outputs)``.

    ``steps`` lists ``(input_keys, output_keys)`` per call (the first step yields the model
    inputs), ``sizes`` maps a key to its tensor's elements and ``outputs`` holds the keys
    of the model's outputs.
    """
    from .layers.core import InputLayer

    counter = itertools.count()
    sizes: dict = {}
    steps: list = []

    def fresh(shape):
        key = next(counter)
        sizes[key] = elements(shape)
        return key

    def run(m, keys: dict) -> None:
        for node in m.nodes:
            if isinstance(node.layer, InputLayer):
                continue
            ins = tuple(keys[id(t)] for t in node.inputs)
            nested = inner_model(node)
            if nested is None:
                outs = tuple(fresh(t.shape) for t in node.outputs)
                steps.append((ins, outs))
                for t, k in zip(node.outputs, outs):
                    keys[id(t)] = k
                continue
            inner, times = nested
            if times == 0:  # an empty Repeat passes its input through
                keys[id(node.outputs[0])] = ins[0]
                continue
            sub = {id(t): k for t, k in zip(inner.inputs, ins)}
            run(inner, sub)
            for outer, t in zip(node.outputs, inner.outputs):
                keys[id(outer)] = sub[id(t)]

    top = {id(t): fresh(t.shape) for t in model.inputs}
    steps.append(((), tuple(top.values())))
    run(model, top)
    return steps, sizes, {top[id(t)] for t in model.outputs}


def max_of(candidates, lower_bounds: dict | None = None) -> sympy.Expr:
    """The largest of ``candidates``: a number, or ``Max`` of those not ordered for every value.

    A candidate is dropped when another is at least as large for every admissible value of
    the symbols (each symbol at least its ``lower_bounds`` entry, else 1); this is proved,
    never sampled (sampling only orders the work). What cannot be proved stays in the Max.

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> max_of([2*H, H + 1, 3*H, 7])
    Max(7, 3*H)
    >>> max_of([2*H, H + 1, 3*H, 7], {H: 3})
    3*H
    """
    items = list(dict.fromkeys(sympy.expand(c) for c in candidates))
    if all(c.is_number for c in items):
        return max(items)
    symbols = sorted(set().union(*(c.free_symbols for c in items)), key=str)
    low = {s: int((lower_bounds or {}).get(s, 0 if s.is_positive is not True else 1))
           for s in symbols}
    shift = {s: s + (low[s] - 1) for s in symbols if low[s] > 1}
    probes = [{s: low[s] + k for s in symbols} for k in (0, 1, 2, 5)] + [
        {s: 1000 + 7 * i for i, s in enumerate(symbols)},
        {s: low[s] + 3 * (i % 2) for i, s in enumerate(symbols)}]
    values = {c: tuple(c.xreplace(p) for p in probes) for c in items}

    def at_least(a, b) -> bool:  # a sample where a < b disproves at once; else try a proof
        if any(x < y for x, y in zip(values[a], values[b])):
            return False
        return _at_least(a, b, shift)

    items.sort(key=lambda c: -values[c][-2])
    kept: list = []
    for c in items:
        if any(at_least(k, c) for k in kept):
            continue
        kept = [k for k in kept if not at_least(c, k)] + [c]
    return kept[0] if len(kept) == 1 else sympy.Max(*kept, evaluate=False)


def _at_least(a, b, shift=None) -> bool:
    """True when ``a >= b`` is proved for every admissible value of the symbols.

    Symbols are shifted to their lower bounds; then floors and ceilings are bounded
    (``0 <= floor(x) <= x``, ``x <= ceiling(x) < x + 1``) in the direction that keeps the
    proof sound, and the remaining polynomial must have nonnegative coefficients once every
    positive symbol ``s`` is written ``t + 1`` (``t >= 0``). Structural only: no assumption
    queries, so it stays fast on ResNet-sized sums.
    """
    diff = a - b  # both expanded: the difference is already a flat sum
    if diff.is_number:
        return bool(diff >= 0)
    if shift:
        diff = sympy.expand(diff.xreplace(shift))
    bound = []
    for term in sympy.Add.make_args(diff):
        coeff, rest = term.as_coeff_Mul()
        if not rest.has(sympy.floor, sympy.ceiling):
            bound.append(term)
            continue
        factors = sympy.Mul.make_args(rest)
        if not all(_nonnegative_factor(f) for f in factors):
            return False
        if coeff < 0:  # an upper bound of the term's magnitude keeps the proof sound
            bound.append(coeff * sympy.Mul(*(_bound(f, upper=True) for f in factors)))
        elif not rest.has(sympy.floor):
            bound.append(coeff * sympy.Mul(*(_bound(f, upper=False) for f in factors)))
        # any other positive term is bounded below by 0: dropped
    return _polynomial_nonnegative(sympy.expand(sympy.Add(*bound)))


def _nonnegative_linear(arg) -> bool:
    if arg.has(sympy.floor, sympy.ceiling):
        return False
    return all(c >= 0 and (k == 1 or _variable(k) is not None)
               for k, c in sympy.expand(arg).as_coefficients_dict().items())


def _variable(expr):
    """``expr`` if it is a product of powers of positive or nonnegative symbols, else None."""
    for f in sympy.Mul.make_args(expr):
        base = f.base if isinstance(f, sympy.Pow) and f.exp.is_Integer and f.exp > 0 else f
        if not (isinstance(base, sympy.Symbol) and base.is_nonnegative):
            return None
    return expr


def _nonnegative_factor(f) -> bool:
    if isinstance(f, sympy.Pow) and f.exp.is_Integer and f.exp > 0:
        return _nonnegative_factor(f.base)
    if isinstance(f, (sympy.floor, sympy.ceiling)):
        return _nonnegative_linear(f.args[0])
    return _variable(f) is not None


def _bound(f, upper: bool):
    if isinstance(f, sympy.Pow):
        return _bound(f.base, upper) ** f.exp
    if isinstance(f, sympy.floor):
        return f.args[0]  # floor(x) <= x (upper); lower bounds of floors are not used
    if isinstance(f, sympy.ceiling):
        return f.args[0] + 1 if upper else f.args[0]
    return f


def _polynomial_nonnegative(expr) -> bool:
    """Sufficient test: nonnegative coefficients after ``s -> s + 1`` for positive symbols."""
    if expr.is_number:
        return bool(expr >= 0)
    if expr.has(sympy.floor, sympy.ceiling, sympy.Max, sympy.Min):
        return False
    shift = {}
    for s in expr.free_symbols:
        if not (isinstance(s, sympy.Symbol) and s.is_nonnegative):
            return False
        if s.is_positive and s.is_integer:
            shift[s] = s + 1
    shifted = sympy.expand(expr.xreplace(shift))
    return all(term.as_coeff_Mul()[0] >= 0 for term in sympy.Add.make_args(shifted))


def peak_activation_elements(model) -> sympy.Expr:
    """The largest number of activation elements alive at once during inference.

    >>> import symcnn as sc
    >>> peak_activation_elements(sc.Sequential([sc.Input((10,)), sc.Dense(20), sc.Dense(5)]))
    30
    """
    return _memo(model, "peak", lambda: _peak(model))


def _peak(model) -> sympy.Expr:
    steps, sizes, outputs = schedule(model)
    last = {}
    for index, (ins, outs) in enumerate(steps):
        for k in ins:
            last[k] = index
        for k in outs:
            last.setdefault(k, index)
    end = len(steps)
    for k in outputs:
        last[k] = end
    free_after: dict = {}
    for k, index in last.items():
        free_after.setdefault(index, []).append(k)
    alive = sympy.Integer(0)
    candidates = []
    for index, (_, outs) in enumerate(steps):
        alive = alive + sum((sizes[k] for k in outs), sympy.Integer(0))
        candidates.append(alive)
        alive = alive - sum((sizes[k] for k in free_after.get(index, ())), sympy.Integer(0))
    bounds = {c.lhs: c.rhs for c in model.constraints
              if isinstance(c, sympy.GreaterThan) and isinstance(c.lhs, sympy.Symbol)
              and c.rhs.is_Integer}
    return max_of(candidates, bounds)


def peak_activation_memory(model, dtype="float32") -> sympy.Expr:
    """Peak activation memory in bytes at ``dtype`` (see :func:`peak_activation_elements`).

    >>> import symcnn as sc
    >>> peak_activation_memory(sc.Sequential([sc.Input((10,)), sc.Dense(20)]), "float32")
    120
    """
    return sympy.expand(peak_activation_elements(model) * dtype_bytes(dtype))
