"""The data of a derivation: :class:`Step` (formula, working, value) and :class:`Derivation`.

>>> import symcnn as sc
>>> d = sc.Sequential([sc.Input((160,)), sc.Dense(10)]).layers[0].derivation
>>> [step.key for step in d], d.params.value
(['N_out', 'params'], 1610)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy

from ..errors import SymcnnError
from ..working import Given

__all__ = ["Step", "Derivation", "register_printer"]

#: Printers of steps and derivations by kind ("latex", "str"): the render modules register
#: themselves here, so that derivations (below the printers) never import them.
_PRINTERS: dict = {}


def register_printer(kind: str, step, derivation) -> None:
    """Register how ``kind`` ("latex" or "str") prints a :class:`Step` and a
    :class:`Derivation`: two functions ``(obj, printer) -> str``."""
    _PRINTERS[kind] = (step, derivation)


def _print(kind: str, which: int, obj, printer) -> str:
    if kind not in _PRINTERS:
        raise SymcnnError(f"no {kind} printer for derivations is registered; import "
                          f"symcnn (it registers symcnn.render's). Received: {type(obj).__name__}")
    return _PRINTERS[kind][which](obj, printer)


@dataclass(frozen=True)
class Step:
    """One derived quantity: ``key = formula = working = value``.

    ``key`` is ``"H_out"``-style for a size, ``"params"`` or ``"non_trainable"`` for a count.
    ``formula`` is built from :mod:`symcnn.working` nodes over hyperparameter symbols (or is
    ``None`` when no formula is known); ``bindings`` maps each of those symbols to this
    layer's value; ``working`` is the formula with the bindings put in, unevaluated.

    >>> import symcnn as sc
    >>> model = sc.Sequential([sc.Input((160,)), sc.Dense("n", use_bias=False)])
    >>> step = model.layers[0].derivation["params"]
    >>> step.formula, step.working, step.value
    (N_in*U, 160*n, 160*n)
    """

    key: str
    formula: Any
    bindings: tuple
    value: sympy.Expr

    @property
    def working(self):
        """The formula with this layer's values put in, left unevaluated."""
        if self.formula is None:
            return Given(self.value)
        return self.formula.xreplace({s: Given(v) for s, v in self.bindings})

    def evaluate(self) -> sympy.Expr:
        """The working evaluated by SymPy (equal to ``value``; a property test checks it)."""
        return sympy.expand(self.working.doit())

    def _latex(self, printer):
        return _print("latex", 0, self, printer)

    def _sympystr(self, printer):
        return _print("str", 0, self, printer)

    def __str__(self) -> str:
        return sympy.sstr(self)

    def _repr_latex_(self) -> str:
        return "$\\displaystyle \\begin{aligned}" + sympy.latex(self) + "\\end{aligned}$"


@dataclass(frozen=True)
class Derivation:
    """The derivation of one layer: its :class:`Step` s, notes, and any assumption used.

    Index it by step key (``d["H_out"]``, ``d["params"]``); iterate over its steps. In
    Jupyter it displays as LaTeX; ``sympy.latex(d)`` gives an ``aligned`` block.
    """

    name: str
    type: str
    input_shape: Any
    output_shape: Any
    steps: tuple
    notes: tuple = ()
    assumed: tuple = field(default=())  # ((symbols, divisor), ...) that changed a value

    def __getitem__(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(f"{self.type} layer {self.name!r} has no step {key!r}; steps: "
                       f"{', '.join(s.key for s in self.steps)}")

    def __iter__(self):
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def shape_steps(self) -> tuple:
        """The steps that derive output sizes."""
        return tuple(s for s in self.steps if s.key not in ("params", "non_trainable"))

    @property
    def params(self) -> Step:
        """The step that derives the parameter count."""
        return self["params"]

    def _latex(self, printer):
        return _print("latex", 1, self, printer)

    def _sympystr(self, printer):
        return _print("str", 1, self, printer)

    def __str__(self) -> str:
        return sympy.sstr(self)

    def _repr_latex_(self) -> str:
        return "$\\displaystyle " + sympy.latex(self) + "$"
