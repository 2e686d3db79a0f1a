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

from ..working import Given

__all__ = ["Step", "Derivation"]


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
        from ..render.latex import step_latex

        return step_latex(self, printer)

    def _sympystr(self, printer):
        from ..render.text import step_text

        return step_text(self, printer)

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
        from ..render.latex import derivation_latex

        return derivation_latex(self, printer)

    def _sympystr(self, printer):
        from ..render.text import derivation_text

        return derivation_text(self, printer)

    def __str__(self) -> str:
        return sympy.sstr(self)

    def _repr_latex_(self) -> str:
        return "$\\displaystyle " + sympy.latex(self) + "$"
