"""Whether any input size satisfies a model's constraints, decided when the model is built.

A model whose branches disagree for every size (``ceiling(H/8) = ceiling(H/4)`` together
with ``H >= 33``, as Keras' NASNetMobile without top at ``(None, None, 3)`` records) is
refused at once with the constraints that conflict, instead of at the first ``subs``.
Only constraints in one symbol that contain an equation (``Eq``, ``Ne``) are solved here,
exactly (:func:`symcnn.quasipoly.relation_set`); inequalities alone are already checked
against each other as they are recorded.

>>> import sympy, symcnn as sc
>>> H = sc.symbols("H")
>>> print(unsatisfiable([H >= 33, sympy.Eq(sympy.ceiling(H/8), sympy.ceiling(H/4))]))
no value of H satisfies H >= 33 together with ceiling(H/8) = ceiling(H/4)
>>> unsatisfiable([H >= 33, sympy.Eq(sympy.Mod(H, 2), 0)]) is None
True
"""

from __future__ import annotations

import sympy

from .quasipoly import NotQuasiPolynomial, relation_set
from .render.exprs import show

__all__ = ["unsatisfiable", "MAX_CONSTRAINTS"]

#: Most constraints on one symbol solved at build time (more: left to ``subs`` to check).
MAX_CONSTRAINTS = 64


def _lowest(x) -> int:
    return 1 if x.is_positive else 0


def unsatisfiable(constraints: list) -> str | None:
    """A sentence naming conflicting constraints when no value satisfies them, else None."""
    by_symbol: dict = {}
    for c in constraints:
        symbols = getattr(c, "free_symbols", set())
        if len(symbols) == 1:
            by_symbol.setdefault(next(iter(symbols)), []).append(c)
    for x, group in sorted(by_symbol.items(), key=lambda item: item[0].name):
        equations = [c for c in group if isinstance(c, (sympy.Eq, sympy.Ne))]
        if not equations or len(group) > MAX_CONSTRAINTS:
            continue
        try:
            if not relation_set(group, x, _lowest(x)).is_empty:
                continue
            base = [c for c in group if not isinstance(c, (sympy.Eq, sympy.Ne))]
            for eq in equations:  # the first equation that empties the set with the bounds
                if relation_set(base + [eq], x, _lowest(x)).is_empty:
                    shown = " and ".join(map(show, base))
                    return (f"no value of {x} satisfies {shown + ' together with ' if shown else ''}"
                            f"{show(eq)}")
        except (NotQuasiPolynomial, ValueError, TypeError, ArithmeticError):
            continue  # undecided here: subs checks every value given
        return f"no value of {x} satisfies all of {', '.join(map(show, group))}"
    return None
