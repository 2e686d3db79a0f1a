"""Every printer names a width multiplier's ``make_divisible`` calls alike, and no name can be
misread: ``c_16`` is ``make_divisible(16 a, 8)``, the squeeze width computed from it is
``s_16`` (it was ``c_1``, which reads as ``make_divisible(a, 8)``); the LaTeX and HTML
derivations use the tables' names (they wrote ``make_divisible(make_divisible(16 a, 8)/4,
8)`` in full in every step), and so does the text summary with ``where=True`` (725 lines of
``make_`` / ``divisible`` cut across cells at 80 columns). HTML never groups the digits of a
function's argument: ``make_divisible(1,024 a, 8)`` reads as three arguments."""

from __future__ import annotations

import re

import sympy

import symcnn as sc
from symcnn.divisible import make_divisible
from symcnn.render.where import call_names

a = sc.multiplier("a")


def names_in_latex(tex: str) -> dict:
    """``{name: definition}`` of the ``$c_{16} = \\operatorname{make\\_divisible}(...)$``
    terms of a LaTeX note."""
    return dict(re.findall(r"\$([a-z]_\{\d+\}) = (\\operatorname\{make\\_divisible\}.*?)\$",
                           tex))


def test_a_squeeze_width_is_named_after_the_width_it_squeezes():
    model = sc.zoo.mobilenet_v3_small(alpha=a)
    names = names_in_latex(model.to_latex().split(r"\bottomrule")[1])
    assert names["c_{16}"] == r"\operatorname{make\_divisible}(16 a,\allowbreak 8)"
    assert names["s_{16}"] == r"\operatorname{make\_divisible}(\frac{c_{16}}{4},\allowbreak 8)"
    # a subscript is a published width (c_k), or the width squeezed (s_k): never an index
    assert all(re.fullmatch(r"[cs]_\{(16|24|40|48|72|88|96|120|144|240|288|576|1024)\}", n)
               for n in names), sorted(names)
    page = model.to_html()
    note = page.split('<p class="note">where')[1]
    assert "<msub><mi>s</mi><mi>16</mi></msub><mo>=</mo>" in note
    assert "<msub><mi>c</mi><mi>1</mi></msub>" not in page


def test_calls_that_share_a_width_or_squeeze_nothing_get_names_that_are_no_width():
    w = sympy.Symbol("w", positive=True)
    inner = make_divisible(16 * w, 8)
    calls = [make_divisible(w**2 + 8, 8), make_divisible(inner / 4, 8), inner,
             make_divisible(inner / 2, 8)]
    names = {str(v) for v in call_names([sum(calls)]).values()}
    assert names == {"c_16", "m_1", "m_2", "m_3"}  # two squeezes of c_16: neither is s_16
    # a model's own symbol s: s_16 would read as it with a subscript
    taken = call_names([make_divisible(inner / 4, 8)], taken={"s"})
    assert sorted(map(str, taken.values())) == ["c_16", "m_1"]


def test_the_derivations_use_the_tables_names():
    model = sc.zoo.mobilenet_v3_small(alpha=a)
    table = names_in_latex(model.to_latex().split(r"\bottomrule")[1])
    derivation = model.to_latex(style="derivation")
    head, body = derivation.split(r"\paragraph", 1)
    assert names_in_latex(head) == table
    assert "make" not in body  # every call by its name
    assert r"output $(1,\allowbreak 1,\allowbreak s_{16})$" in body
    page = model.to_html(style="derivation")
    head, body = page.split("<h2>", 1)
    assert head.count("make_divisible") == len(table) + 1  # the names and the rule
    assert "make_divisible" not in body


def test_the_text_summary_with_where_names_the_widths_as_the_tables_do():
    model = sc.zoo.mobilenet_v2(alpha=a)
    text = model.summary_text(line_length=80, where=True)
    table, _, below = text.partition("where ")
    assert "make_" not in table  # no cell holds a call (cut across lines as make_/divisible)
    assert "c_32 = make_divisible(32*a, 8)" in below
    assert "c_1280 = make_divisible(1280*Max(1, a), 8)" in below
    assert "nearest multiple of d" in below
    latex = {n.replace("{", "").replace("}", "")
             for n in names_in_latex(model.to_latex().split(r"\bottomrule")[1])}
    assert set(re.findall(r"^(?:where |      )(c_\d+) =", text, re.M)) == latex
    assert len(text.splitlines()) < 400  # it was 725
    # the per-layer cells add up to the totals in the names too
    assert "Total params: 6*c_16**2" in text


def test_html_never_groups_the_digits_of_a_function_s_argument():
    page = sc.zoo.mobilenet_v3_small(alpha=a).to_html()
    assert "<mn>1024</mn><mo>\u2062</mo><mi>a</mi>" in page
    assert not re.search(r"<mn>\d{1,3}(,\d{3})+</mn><mo>\u2062</mo><mi>a</mi>", page)
    assert "<mn>1,000</mn>" in page  # a count is grouped as before
    page = sc.zoo.mobilenet_v2(alpha=a).to_html()
    assert "<mn>1280</mn><mo>\u2062</mo><mrow><mo>max</mo>" in page
