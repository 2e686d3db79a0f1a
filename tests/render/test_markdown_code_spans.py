"""Markdown sets a name in a code span by one rule everywhere (the title, the table, the
derivation headings), so that a name with a backtick or a pipe reads back as typed when a
CommonMark renderer (GitHub's, Jupyter's) shows it."""

from __future__ import annotations

import html
import re

import pytest

import symcnn as sc

markdown_it = pytest.importorskip("markdown_it")

NAMES = ["m|`x", "`tick", "a``b", "plain_name", "<b>bold</b>"]


def _render(text: str) -> str:
    return markdown_it.MarkdownIt("commonmark").enable("table").render(text)


def _codes(rendered: str) -> list:
    return [html.unescape(c) for c in re.findall(r"<code>(.*?)</code>", rendered, re.S)]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("style", ["table", "derivation"])
def test_the_model_and_layer_names_render_as_typed(name, style):
    model = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3, name=name)], name=name)
    rendered = _render(model.to_markdown(style=style))
    title = rendered.split("</strong>")[0]
    assert _codes(title) == [name]  # the title: "Model" and the name, whole
    assert _codes(rendered).count(name) == 2  # the title, and the layer's row or heading
    assert "<b>" not in rendered


@pytest.mark.parametrize("name", NAMES)
def test_a_derivation_heading_holds_the_layers_name_whole(name):
    model = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3, name=name)])
    rendered = _render(model.to_markdown(style="derivation"))
    headings = re.findall(r"<h3>(.*?)</h3>", rendered, re.S)
    assert [_codes(h) for h in headings] == [["input_layer"], [name], []]  # then Totals
