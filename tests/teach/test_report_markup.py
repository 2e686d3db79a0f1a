"""A marked table shows what the student wrote as typed, in every format, and sets the
formulas of its explanations in code spans that hold whole formulas: never an unmatched
parenthesis inside one (``(20*3*3*40`` of ``(20*3*3*40 = 7200)``), never a formula cut
at its ``=`` (``use_bias`` then ``=False``)."""

from __future__ import annotations

import html
import re

import pytest

import symcnn as sc
from symcnn.teach import report as _report
from symcnn.teach.diagnoses import CATALOGUE

markdown_it = pytest.importorskip("markdown_it")

MODEL = sc.Sequential([sc.Input((160,)), sc.Dense(10)], name="m")
CLAIMS = ["320 <b>x</b>", "0 & 50% #1 $x$", "16*10*n*m", "a_b_ `c`|d"]


def _render(text: str) -> str:
    return markdown_it.MarkdownIt("commonmark").enable("table").render(text)


def _text(rendered_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered_html))


@pytest.mark.parametrize("claim", CLAIMS)
def test_a_claim_in_markdown_reads_back_as_typed_and_makes_no_markup(claim):
    report = sc.check(MODEL, [{"layer": "dense", "params": claim}])
    rendered = _render(report.to_markdown())
    cells = re.findall(r"<td>(.*?)</td>", rendered, re.S)
    assert claim in [_text(c) for c in cells]
    assert not re.search(r"<(b|em|strong)>", rendered.split("</strong>", 1)[1])


def test_the_markdown_legend_sets_formulas_as_code_not_emphasis():
    """``20*3*3*40`` in a sentence read as 20<em>3</em>3*40 on GitHub."""
    report = sc.check(MODEL, [{"layer": "dense", "params": "lots"}])
    rendered = _render(report.to_markdown())
    assert "<em>" not in rendered
    legend = rendered[rendered.index("Diagnoses:"):]
    assert _text(legend).count(CATALOGUE["unreadable"].explanation) == 1


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


def _enclosed(text: str) -> bool:
    """Wholly inside one pair of parentheses (the sentence's, not the formula's)."""
    return text.startswith("(") and text.endswith(")") and _balanced(text[1:-1])


def test_every_explanation_reads_back_whole_with_balanced_code_spans_in_html():
    for code, diagnosis in CATALOGUE.items():
        shown = _report._prose(diagnosis.explanation, lambda t: f"<code>{html.escape(t)}</code>",
                               html.escape)
        assert _text(shown) == diagnosis.explanation, code
        for span in map(html.unescape, re.findall(r"<code>(.*?)</code>", shown)):
            assert _balanced(span) and not _enclosed(span), (code, span)
            assert not span.endswith((".", ",")), (code, span)


def test_the_latex_report_sets_whole_formulas_in_typewriter():
    report = sc.check(MODEL, [{"layer": "dense", "params": "lots"}])
    original = _report._used
    try:  # every diagnosis in the legend
        _report._used = lambda r: list(CATALOGUE)
        tex = report.to_latex()
    finally:
        _report._used = original
    spans = [s.replace(r"\_\allowbreak{}", "_").replace(r"\_", "_")
             for s in re.findall(r"\\texttt\{([^{}]*(?:\{\}[^{}]*)*)\}", tex)]
    assert spans and all(_balanced(s) and not _enclosed(s) for s in spans), spans
    assert "use_bias=False" in spans and "20*3*3*40" in spans and "160*n" in spans


def test_the_latex_report_opens_its_quotations():
    """pdflatex sets ' as a closing quote: 'free_width' printed two closing quotes."""
    report = sc.check(sc.Sequential([sc.Input((160,)), sc.Dense(10)], name="free_width"),
                      [{"layer": "dense", "params": "lots"}])
    original = _report._used
    try:
        _report._used = lambda r: list(CATALOGUE)
        tex = report.to_latex()
    finally:
        _report._used = original
    prose = re.sub(r"\\texttt\{[^{}]*(?:\{\}[^{}]*)*\}", "", tex)  # code keeps its quotes
    assert not re.search(r"(^|[\s(])'", prose, re.M), \
        re.findall(r".{20}(?:^|[\s(])'.{20}", prose, re.M)
    assert "model `free" in tex and r"`Param \#'" in tex
