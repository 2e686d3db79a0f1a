"""The printed forms of a model, as thin calls into :mod:`symcnn.render`: Keras' summary
(printed, as text, or as data), LaTeX, Markdown and HTML, and the Jupyter reprs.
:class:`~symcnn.model.Model` inherits them from :class:`_Printing`.

>>> import symcnn as sc
>>> m = sc.zoo.textbook.free_width()
>>> m.summary_text().splitlines()[-3]
'Total params: 160*n + 48320'
"""

from __future__ import annotations

import inspect
from typing import Any

from .errors import SymcnnError, unexpected_arguments
from .render import keras_summary
from .render.html import model_to_html
from .render.latex import model_array, model_to_latex
from .render.markdown import model_to_markdown

__all__ = ["_Printing"]

#: The options of ``summary`` and ``summary_text`` (besides ``print_fn``).
_SUMMARY_OPTIONS = ("columns", "line_length", "positions", "expand_nested", "show_trainable",
                    "layer_range", "where")


def _check_options(where: str, render, options: dict) -> None:
    """An :class:`~symcnn.errors.ArgumentError` for an option ``render`` does not take."""
    allowed = [p for p in inspect.signature(render).parameters if p != "model"]
    error = unexpected_arguments(where, options, allowed)
    if error is not None:
        raise error


class _Printing:
    """Keras-style printing methods of a model; each renders ``self`` through
    :mod:`symcnn.render` and keeps nothing."""

    def summary(self, columns=None, line_length: int | None = None, positions=None,
                print_fn=None, expand_nested: bool = False, show_trainable: bool = False,
                layer_range=None, where: bool = False, **unknown: Any) -> None:
        """Print a table like Keras' ``model.summary()``, closed forms included; returns None.

        Keras' options: ``line_length``, ``positions``, ``print_fn`` (called once with the
        whole text; default ``print``), ``expand_nested``, ``show_trainable``,
        ``layer_range``; symcnn's: ``columns`` (e.g. ``["layer", "output_shape", "params",
        "working", "macs"]``) and ``where`` (name recurring rounding parts under the table).
        :meth:`summary_text` returns the text, :meth:`summary_data` the cells and totals
        (:mod:`symcnn.render.keras_summary`).
        """
        if unknown:
            raise unexpected_arguments("summary", unknown, ("print_fn", *_SUMMARY_OPTIONS))
        if print_fn is not None and not callable(print_fn):
            raise SymcnnError(f"summary: `print_fn` must be a callable taking the text (such "
                              f"as print) or None. Received: print_fn={print_fn!r}")
        text = keras_summary.render_summary(
            self, columns=columns, line_length=line_length, positions=positions,
            expand_nested=expand_nested, show_trainable=show_trainable,
            layer_range=layer_range, where=where)
        (print_fn or print)(text)

    def summary_text(self, **options: Any) -> str:
        """The text :meth:`summary` prints, returned instead (same options but ``print_fn``).

        >>> import symcnn as sc
        >>> print(sc.zoo.textbook.free_width().summary_text().splitlines()[-3])
        Total params: 160*n + 48320
        """
        error = unexpected_arguments("summary_text", options, _SUMMARY_OPTIONS)
        if error is not None:
            raise error
        return keras_summary.render_summary(self, **options)

    def summary_data(self, **options: Any):
        """The rows, totals and notes of the summary, before layout
        (:class:`symcnn.render.keras_summary.SummaryData`)."""
        return keras_summary.summary_data(self, **options)

    def to_latex(self, style: str = "table", standalone: bool = False, **options: Any) -> str:
        """LaTeX for lecture notes and theses (:func:`symcnn.render.latex.model_to_latex`).

        ``style="table"``: a booktabs table (layer, type, output shape, parameters as
        working = value, totals); ``style="derivation"``: an ``align*`` block per layer with
        formula, working and value. ``standalone=True`` gives a complete pdflatex document.
        Options: ``assume_divisible={"H": 32}``, ``caption``, ``label``.
        """
        _check_options("to_latex", model_to_latex, options)
        return model_to_latex(self, style=style, standalone=standalone, **options)

    def to_markdown(self, style: str = "table", **options: Any) -> str:
        """A GitHub Markdown table (or per-layer derivations) of the model
        (:func:`symcnn.render.markdown.model_to_markdown`); ``math=True`` writes ``$...$``."""
        return model_to_markdown(self, style=style, **options)

    def to_html(self, style: str = "table", standalone: bool = True, **options: Any) -> str:
        """HTML with MathML (:func:`symcnn.render.html.model_to_html`): ``style="table"`` or
        ``"derivation"``; ``standalone=True`` is one self-contained page (no script, nothing
        fetched), ``False`` a fragment. Options: ``assume_divisible``, ``columns``."""
        _check_options("to_html", model_to_html, options)
        return model_to_html(self, style=style, standalone=standalone, **options)

    def _repr_html_(self) -> str:  # Jupyter: the table, MathML
        return model_to_html(self, standalone=False)

    def _repr_latex_(self) -> str:  # the same table as one MathJax-friendly array
        return model_array(self)

    def _repr_markdown_(self) -> str:
        return model_to_markdown(self, math=True)
