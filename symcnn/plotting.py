"""Plots of a quantity against one symbol, with the budget and the solved point marked.

Needs the optional ``[plot]`` extra (matplotlib), imported only when :func:`plot` is called,
so ``import symcnn`` never loads matplotlib. The figure is built without ``pyplot`` (no GUI
backend is needed) and saved to a file when ``path`` is given.

>>> import symcnn as sc
>>> fig = sc.plot(sc.zoo.textbook.free_width(), n=range(1, 501), budget=100_000)
>>> fig.axes[0].get_ylabel()
'params = $160 n + 48320$'
"""

from __future__ import annotations

import math
import numbers
import warnings
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping

import sympy

from .errors import SolveError, UnavailableError, brief
from .render.exprs import display_form, latex_printer
from .safe import decimal_text, to_expr
from .safe_read import write_bytes
from .solving import model_solve_budget, solve_budget
from .sweeping import _grid_values, _quantity, sweep

__all__ = ["plot"]

#: Closed forms longer than this (LaTeX characters) are left out of labels.
MAX_LABEL = 90


def _matplotlib():
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import EngFormatter, MaxNLocator
    except ImportError:
        raise UnavailableError("sc.plot needs matplotlib: pip install 'symcnn[plot]'") from None
    return Figure, EngFormatter, MaxNLocator


def _is_model(obj) -> bool:
    return hasattr(obj, "constraints") and hasattr(obj, "free_symbols") and not isinstance(
        obj, sympy.Basic)


def _targets(targets, labels) -> list:
    """``[(label, model_or_expr)]`` from one target, a list, or a dict label -> target."""
    if isinstance(targets, Mapping):
        items = [(str(k), v) for k, v in targets.items()]
    elif isinstance(targets, (list, tuple)):
        items = [(None, t) for t in targets]
    else:
        items = [(None, targets)]
    if labels is not None:
        labels = [labels] if isinstance(labels, str) else list(labels)
        if len(labels) != len(items):
            raise SolveError(f"plot: give one label per target ({len(items)}). "
                             f"Received: labels={labels!r}")
        items = [(lab, t) for lab, (_, t) in zip(labels, items)]
    out = []
    for i, (label, t) in enumerate(items):
        if label is None:
            label = t.display_name if _is_model(t) else (f"expression {i + 1}"
                                                         if len(items) > 1 else "value")
        out.append((label, t))
    return out


def _mathtext(expr) -> str | None:
    """``$...$`` for ``expr`` if matplotlib's mathtext can typeset it and it is short."""
    text = latex_printer(mul_symbol=None).doprint(display_form(expr))  # as every printer
    if len(text) > MAX_LABEL:
        return None
    try:
        from matplotlib.mathtext import MathTextParser

        MathTextParser("path").parse(f"${text}$")
    except Exception:  # noqa: BLE001  (any parse failure: leave the formula out)
        return None
    return f"${text}$"


def plot(targets, /, *, y="params", budget=None, path=None, labels=None, title=None,
         logy: bool = False, ax=None, **grid: Any):
    """Plot quantities of models (or expressions) against one symbol.

    ``grid`` gives the symbol to plot against as an iterable (``n=range(1, 500)``) and fixes
    any other symbol with an integer (``H=224``). ``targets`` is a model, an expression, a
    list of them or a dict ``{label: target}`` (several curves on one plot). ``y`` names the
    quantity of a model (``"params"``, ``"macs"``, ...; a list makes one panel per quantity).
    ``budget`` (a number, or a dict quantity -> number) draws a dashed budget line and marks
    on each curve the largest value within it, from :func:`symcnn.solve_budget`. Axis labels
    and legend entries carry the closed forms when they are short enough to typeset.
    Returns the matplotlib ``Figure``; ``path`` also saves it (format from the suffix).

    >>> import symcnn as sc
    >>> w = sc.symbols("w")
    >>> fig = sc.plot({"a": 3*w**2, "b": 2*w**2 + 40*w}, w=range(1, 40), budget=2000)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()][:2]
    ['a: $3 w^{2}$ (w = 25)', 'b: $2 w^{2} + 40 w$ (w = 23)']
    """
    Figure, EngFormatter, MaxNLocator = _matplotlib()
    values = {k: _grid_values(k, v) for k, v in grid.items()}
    axes_names = [k for k, v in values.items() if not isinstance(v, int)]
    fixed = {k: v for k, v in values.items() if isinstance(v, int)}
    if len(axes_names) != 1:
        raise SolveError(f"plot: give exactly one symbol to plot against as a range (e.g. "
                         f"n=range(1, 500)); fix the others with integers. Received: "
                         f"{', '.join(axes_names) or 'no range'}")
    name = axes_names[0]
    xs = list(values[name])  # ints, or a multiplier's Fractions (0.25 as 1/4)
    fractional = any(isinstance(x, Fraction) for x in xs)
    quantities = [y] if isinstance(y, str) else list(y)
    items = _targets(targets, labels)
    if not items:
        raise SolveError(f"plot: give at least one model or expression to plot. "
                         f"Received: targets={brief(targets)}")
    if not quantities or not all(isinstance(q, str) for q in quantities):
        raise SolveError(f"plot: `y` names one quantity or a list of them (e.g. 'params'). "
                         f"Received: y={brief(y)}")
    if len(quantities) > 1 and not any(_is_model(t) for _, t in items):
        raise SolveError(f"plot: `y` picks quantities of a model; an expression is its own "
                         f"quantity, drawn on one panel. Received: y={y!r}")
    budgets = budget if isinstance(budget, Mapping) else {q: budget for q in quantities}
    for q in budgets:  # as the command line's --budget: a budget is drawn on its panel
        if q not in quantities:
            raise SolveError(f"plot: `budget`: {brief(q)} is not among the plotted quantities "
                             f"({', '.join(quantities)}). Received: budget={brief(budget)}")
    budgets = {q: _budget(q, b) for q, b in budgets.items()}
    _check_title(title)
    fmt = _format(path)
    if ax is not None and len(quantities) > 1:
        raise SolveError(f"plot: `ax` takes one quantity. Received: y={y!r}")
    fig = ax.figure if ax is not None else Figure(figsize=(7.5, 4.2 * len(quantities)),
                                                  layout="constrained")
    panels = [ax] if ax is not None else [fig.add_subplot(len(quantities), 1, i + 1)
                                          for i in range(len(quantities))]
    for panel, q in zip(panels, quantities):
        _panel(panel, q, items, name, xs, fixed, budgets.get(q), len(items) == 1)
        panel.set_xlabel(f"${sympy.latex(sympy.Symbol(name))}$")
        panel.yaxis.set_major_formatter(EngFormatter(sep=""))
        # min_n_ticks=1: integer ticks even when the view holds one integer (one point)
        panel.xaxis.set_major_locator(MaxNLocator(integer=not fractional, min_n_ticks=1))
        panel.grid(True, alpha=0.3)
        if logy and _positive(panel):
            panel.set_yscale("log")
        elif logy:  # matplotlib would warn "Data has no positive values" and draw nothing
            what = q if any(_is_model(t) for _, t in items) else "the value"
            warnings.warn(f"plot: {what} has no positive value over the plotted {name} (it is 0 "
                          f"throughout), so its panel keeps a linear scale (logy)",
                          stacklevel=2)
        panel.legend(loc="best", fontsize="small")
    if title is not None:
        panels[0].set_title(title)
    if path is not None:
        import io

        buffer = io.BytesIO()
        try:
            fig.savefig(buffer, format=fmt, dpi=150)
        except (ValueError, RuntimeError) as err:  # e.g. mathtext in a label
            raise SolveError(f"plot: matplotlib could not draw the figure "
                             f"({type(err).__name__}: {brief(str(err))}). "
                             f"Received: title={brief(title)}") from None
        write_bytes(path, buffer.getvalue())  # a full disk is an OutputError, never silent
    return fig


def _budget(quantity, budget):
    """``budget`` as a Python int, Fraction or float (any real number type is accepted:
    NumPy's, SymPy's, Fraction, Decimal), or a SolveError naming it."""
    if budget is None:
        return None

    def refuse(why="must be a positive finite number"):
        return SolveError(f"plot: the budget of {quantity} {why}. "
                          f"Received: budget={brief(budget)}")

    if isinstance(budget, bool) or not isinstance(budget, (numbers.Real, Decimal)):
        raise refuse()  # complex, text, NumPy's bool, sympy.oo/nan (not numbers.Real), ...
    if isinstance(budget, numbers.Integral):
        value = int(budget)
    elif isinstance(budget, numbers.Rational):
        value = Fraction(int(budget.numerator), int(budget.denominator))
    else:  # floats: Python's, NumPy's, SymPy's, Decimal
        value = float(budget)
        finite = budget.is_finite() if isinstance(budget, Decimal) else (
            budget.is_finite if isinstance(budget, sympy.Basic) else math.isfinite(value))
        if finite and math.isinf(value):
            raise refuse("is too large to draw (beyond floating point)")
        if not math.isfinite(value):
            raise refuse()
    if value <= 0:
        raise refuse()
    try:
        float(value)
    except OverflowError:
        raise refuse("is too large to draw (beyond floating point)") from None
    return value


def _check_title(title) -> None:
    if title is None:
        return
    if not isinstance(title, str):
        raise SolveError(f"plot: `title` must be text. Received: title={brief(title)}")
    if title.count("$") - title.count(r"\$") >= 2:
        from matplotlib.mathtext import MathTextParser

        try:
            MathTextParser("path").parse(title)
        except ValueError as err:
            raise SolveError(f"plot: `title` is not valid matplotlib mathtext ("
                             f"{' '.join(str(err).split())[:120]}); escape $ as \\$. "
                             f"Received: title={brief(title)}") from None


def _format(path) -> str | None:
    if path is None:
        return None
    import os

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    suffix = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    supported = sorted(FigureCanvasAgg.get_supported_filetypes())
    if suffix not in supported:
        raise SolveError(f"plot: cannot tell the image format from {os.fspath(path)!r}; use "
                         f"one of the suffixes {', '.join('.' + s for s in supported)}. "
                         f"Received: path={os.fspath(path)!r}")
    return suffix


def _panel(panel, quantity: str, items: list, name: str, xs: list, fixed: dict, budget,
           single: bool) -> None:
    shown = None
    ylabel = None  # the closed form on the y axis (one target, when it fits)
    for label, target in items:
        if _is_model(target):
            expr = _quantity(target, quantity)
            ys = sweep(target, quantity, **{name: xs}, **fixed)[quantity]
        else:
            expr = to_expr(target, "plot", label)
            ys = sweep(expr, **{name: xs}, **fixed)
        shown = expr.xreplace({s: sympy.Integer(fixed[s.name]) for s in expr.free_symbols
                               if s.name in fixed})
        ys = _floats(ys, xs, name, f"{quantity} of {label}" if _is_model(target)
                     else f"the expression {brief(shown)}")
        formula = _mathtext(shown)
        if single and formula:
            # an expression is labelled by itself: `y` ("params" by default) names a
            # quantity of a model, and the expression need not be one
            text = f"{quantity} = {formula}" if _is_model(target) else formula
            ylabel = text if _fits(panel, text) else None
        step = _step(xs)
        best = _solve(target, quantity, expr, budget, name, fixed, step)
        entry = label if ylabel else (f"{label}: {formula}" if formula else label)
        if best is _NONE_FITS:
            least = step or 1
            at = shown.xreplace({s: sympy.Rational(least) for s in shown.free_symbols
                                 if s.name == name})
            entry += f" (no {name} fits the budget)"
            warnings.warn(f"plot: no {name} fits the {quantity} budget {_number(budget)} for "
                          f"{label}: even {name} = {_number(least)} gives {_number(at)}",
                          stacklevel=3)
            best = None
        elif best is not None:
            entry += f" ({name} = {_number(best)})"
        floats = [float(x) for x in xs] if step is not None else xs
        line, = panel.plot(floats, ys, "-o" if len(xs) <= 40 else "-", markersize=3,
                           label=entry)
        if best is not None and min(xs) <= best <= max(xs):  # xs may run downwards
            at = shown.xreplace({s: sympy.Rational(best) for s in shown.free_symbols
                                 if s.name == name})
            panel.plot([float(best)], [float(at)], "o", markersize=9, markerfacecolor="none",
                       markeredgewidth=2, color=line.get_color(), zorder=5)
            panel.axvline(float(best), linestyle=":", linewidth=1, color=line.get_color(),
                          alpha=0.7)
            if single:
                panel.annotate(f"{name} = {_number(best, group=False)}\n{_number(at)}",
                               (float(best), float(at)), xytext=(10, -28),
                               textcoords="offset points", fontsize="small",
                               color=line.get_color())
    if budget is not None:
        panel.axhline(float(budget), linestyle="--", color="0.35", linewidth=1.2,
                      label=f"budget {_number(budget)}")
    panel.set_ylabel(ylabel or (quantity if _is_model(items[0][1]) else "value"))


def _fits(panel, text: str) -> bool:
    """Whether ``text`` as the y label is no longer than the panel is high (a longer label
    is cut at both ends of the figure)."""
    from matplotlib.textpath import TextPath

    fig = panel.figure
    height = panel.get_position().height * fig.get_figheight() * 72  # points, before layout
    try:
        width = TextPath((0, 0), text, prop=panel.yaxis.label.get_fontproperties())
    except Exception:  # noqa: BLE001  (cannot measure it: leave it off the axis)
        return False
    return width.get_extents().width <= height


def _floats(ys, xs: list, name: str, what: str):
    """``ys`` as floats for matplotlib, or a SolveError at the first value that is not a
    real number or is beyond floating point (exact sweeps hold Python ints and SymPy values)."""
    import numpy as np

    data, mask = np.ma.getdata(ys), np.ma.getmaskarray(ys)
    if data.dtype != object:
        return ys
    out = np.full(len(data), np.nan)
    for i, (x, v, masked) in enumerate(zip(xs, data, mask)):
        if masked:
            continue
        try:
            out[i] = float(v)
        except OverflowError:
            raise SolveError(f"plot: {what} is too large to plot at {name}={x}: its value "
                             f"{brief(v)} is beyond floating point (about 1.8e308); plot a "
                             f"smaller range of {name}. Received: {name}={x}") from None
        except TypeError:
            raise SolveError(f"plot: {what} is not a number at {name}={x} (its value there "
                             f"is {brief(v)}); plot takes expressions that give a number once "
                             f"{name} and the fixed symbols are given. "
                             f"Received: {name}={x}") from None
    return np.ma.array(out, mask=mask) if mask.any() else out


#: :func:`_solve`'s answer when even the least value exceeds the budget.
_NONE_FITS = object()


def _solve(target, quantity: str, expr, budget, name: str, fixed: dict, step=None):
    """The largest value within budget (on the grid ``step`` for a multiplier), _NONE_FITS
    when none fits, None when there is no budget or no single answer."""
    if budget is None:
        return None
    try:
        if _is_model(target):
            best = model_solve_budget(target, name, {quantity: budget, **fixed}, step=step)
        else:
            best = solve_budget(expr, budget, name, step=step, **{
                k: v for k, v in fixed.items() if k in {s.name for s in expr.free_symbols}})
    except SolveError:
        return None
    return _NONE_FITS if best is None else best


def _step(xs: list):
    """A multiplier's plotted values (Fractions among them): the grid they lie on (the
    greatest common divisor of the values, 1/4 for 0.25, 0.5, 1), on which the budget is
    solved; None for integer values."""
    if not any(isinstance(x, Fraction) for x in xs):
        return None
    numerator, denominator = 0, 1
    for x in map(Fraction, xs):
        numerator = math.gcd(numerator, x.numerator)
        denominator = denominator * x.denominator // math.gcd(denominator, x.denominator)
    return sympy.Rational(numerator, denominator)


def _number(value, group: bool = True) -> str:
    """A number as a label shows it: a whole number with separators (``100,000``), a
    decimal as written (``100,000.5``, not ``200001/2``), a fraction whose decimals do not
    end as one (``1/3``), and one of more than 15 digits in scientific form (``1e300``,
    ``1.235e20``), as a float budget is drawn."""
    exact = sympy.Rational(str(value)) if isinstance(value, float) else sympy.Rational(
        value.numerator, value.denominator) if isinstance(value, Fraction) else \
        sympy.nsimplify(value) if not isinstance(value, (int, sympy.Rational)) else \
        sympy.Rational(value)
    if abs(exact) >= 10**15:
        mantissa, _, exponent = f"{float(exact):.4g}".partition("e")
        return f"{mantissa}e{int(exponent)}" if exponent else mantissa
    sep = "," if group and abs(exact) >= 10_000 else ""
    return decimal_text(exact, sep) or str(exact)


def _positive(panel) -> bool:
    """Whether the panel draws some positive value (a log scale needs one)."""
    import numpy as np

    for line in panel.get_lines():
        if line.get_transform() != panel.transData:  # a budget line, a marked value's
            continue
        data = np.ma.masked_invalid(np.ma.asarray(line.get_ydata(), dtype=float))
        if (data > 0).any():
            return True
    return False
