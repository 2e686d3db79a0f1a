"""Exercise sheets say the same thing in every format: LaTeX opens its quotations as
LaTeX does (``Keras' `Param \\#'``, not two closing quotes), a budget's total lists its
terms in the order Markdown and HTML list them, and the command line counts its
exercises in good English."""

from __future__ import annotations

import io
import re

import pytest
import sympy

import symcnn as sc
from symcnn.cli import main


def _prose(tex: str) -> str:
    """The sheet's running text: math and typewriter left out."""
    tex = re.sub(r"\\\[.*?\\\]", "", tex, flags=re.S)
    tex = re.sub(r"\$[^$]*\$", "", tex)
    return re.sub(r"\\texttt\{[^{}]*\}", "", tex)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_latex_prose_never_opens_a_quotation_with_a_closing_quote(seed):
    items = [x for topic in sc.exercises.TOPICS
             for x in sc.exercises.generate(topic, n=2, seed=seed)]
    tex = sc.exercises.sheet(items, format="latex")
    assert r"`Param \#'" in tex
    opening = re.findall(r".{0,20}(?:^|[\s(])'.{0,20}", _prose(tex), re.M)
    assert not opening, opening


def _degrees(terms: list, n) -> list:
    return [sympy.degree(t, n) for t in terms]


def _latex_terms(line: str, names: dict) -> list:
    """``9 n^{2} + 628 n + 20`` as SymPy terms."""
    out = []
    for term in line.split(" + "):
        term = term.replace("{,}", "").replace("^{", "**(").replace("}", ")")
        out.append(sympy.sympify(re.sub(r"(\d) ([a-z])", r"\1*\2", term), locals=names))
    return out


@pytest.mark.parametrize("seed", range(1, 7))
def test_a_budget_total_lists_its_terms_in_the_same_order_in_latex_and_markdown(seed):
    item = sc.exercises.generate("budget", n=1, seed=seed)[0]
    names = {s.name: s for s in item.model.free_symbols}
    n = names["n"]
    md = sc.exercises.sheet([item], format="markdown")
    tex = sc.exercises.sheet([item], format="latex")
    md_total = md.split("Total:")[1].split("=", 1)[1].splitlines()[0].strip()
    tex_total = re.search(r"Total:\n\\\[ \\text\{params\} = (.*?) \\\]", tex).group(1)
    md_terms = [sympy.sympify(t, locals=names) for t in md_total.split(" + ")]
    tex_terms = _latex_terms(tex_total, names)
    assert tex_terms == md_terms, (tex_total, md_total)
    assert sum(tex_terms) == sympy.expand(item.model.params)
    assert _degrees(md_terms, n) == sorted(_degrees(md_terms, n), reverse=True)


@pytest.mark.parametrize("n, said", [(1, "(1 exercise)"), (2, "(2 exercises)")])
def test_the_command_line_counts_the_exercises_it_wrote(tmp_path, n, said):
    out = io.StringIO()
    target = tmp_path / "sheet.html"
    assert main(["exercises", "budget", "-n", str(n), "--seed", "3", "--format", "html",
                 "-o", str(target)], out=out) == 0
    assert out.getvalue().strip() == f"wrote {target} {said}"
