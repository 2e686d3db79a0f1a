"""HTML: a short product stays one piece of MathML (no gap inside ``4 a b c``), a long sum
wraps between its terms only, and a long layer name wraps in its cell instead of pushing the
Parameters column off the page."""

from __future__ import annotations

import os
import re

import pytest
import sympy

import symcnn as sc
from symcnn.render.html import WRAP_CHARS, MathML, _width, wrapping_math

from .test_html import CHROMIUM, _table_widths

a, b, c, d = sc.symbols("a b c d")


def _total(page: str) -> str:
    return next(r for r in re.findall(r"<tr[^>]*>(.*?)</tr>", page) if "Total params" in r)


def test_a_short_product_total_is_one_piece_of_mathml():
    """``4 a b c + 4`` was cut into ``4 a`` | ``b c`` | ``+ 4``, shown with a gap ("4a bc"):
    each invisible times counted as its entity's 16 characters."""
    page = sc.Sequential([sc.Input((a, b, c)), sc.Flatten(), sc.Dense(4)]).to_html()
    total = _total(page)
    assert '<span class="terms">' not in total and total.count("<math") == 1
    assert re.search(r"<mn>4</mn><mo>\u2062</mo><mi>a</mi><mo>\u2062</mo><mi>b</mi>"
                     r"<mo>\u2062</mo><mi>c</mi>", total)


def test_a_long_sum_of_short_products_wraps_between_terms_only():
    p = MathML()
    value = sympy.expand((a + b + c + d + 1) ** 3)  # 35 terms, products of up to 3 letters
    node = p._print(value)
    assert _width(node) > WRAP_CHARS  # long enough to wrap
    html = wrapping_math(node)
    pieces = re.findall(r"<math[^>]*>(.*?)</math>", html)
    assert len(pieces) == len(value.args)  # one piece per term, none cut inside a product
    for piece in pieces[1:]:
        assert piece.startswith('<mrow><mo form="infix">')  # each after its sign


def _names_model():
    return sc.Sequential([sc.Input((16, 16, 3)), sc.Conv2D(4, 3, name="a" * 80),
                          sc.Conv2D(4, 3, name="<script>alert(1)</script>"),
                          sc.Conv2D(4, 3, name="conv2_block1_1_conv")], name="names")


def test_a_name_with_a_long_run_may_wrap_anywhere_a_usual_one_only_after_underscores():
    page = _names_model().to_html()
    assert f'<code class="run">{"a" * 80}</code>' in page
    assert '<code class="run">&lt;script&gt;alert(1)&lt;/script&gt;</code>' in page
    assert "<code>conv2_<wbr/>block1_<wbr/>1_<wbr/>conv</code>" in page
    assert "code.run" in page and "overflow-wrap: anywhere" in page


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="chromium is not installed (.ci/run installs it)")
def test_an_80_character_name_leaves_the_parameters_column_on_screen(tmp_path):
    page = _names_model().to_html()
    scroll, client = _table_widths(page, tmp_path, 800)
    assert scroll <= client, f"{scroll - client} px to scroll at 800 px"
