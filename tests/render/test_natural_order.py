"""Numbers in names are compared as numbers in the display order: ``c_16 + c_24 + c_40 +
c_288``, never ``c_16 + c_24 + c_288 + c_40`` (SymPy compares names as strings). The
rounding and ``make_divisible`` terms of a total follow their widths alike (the stand-ins the
display gives them sort in the atoms' order, ``a02`` before ``a10``). Stored expressions keep
SymPy's own order.
"""

from __future__ import annotations

import re

import sympy

import symcnn as sc
from symcnn.ordering import natural_key, sort_key
from symcnn.render.exprs import show, show_latex

c_16, c_24, c_40, c_288, c_576 = sc.symbols("c_16 c_24 c_40 c_288 c_576")
r = sc.symbols("r_1:13")
H, w = sc.symbols("H w")


def test_a_sum_and_a_product_of_numbered_names_go_by_their_numbers():
    assert show(c_576 + c_40 + c_288 + c_24 + c_16) == "c_16 + c_24 + c_40 + c_288 + c_576"
    assert show(3 * c_288 * c_40 * w + c_24) == "3*c_40*c_288*w + c_24"
    assert show_latex(c_288 * c_40) == "c_{40} c_{288}"
    assert show(sum(r)) == " + ".join(f"r_{i}" for i in range(1, 13))
    assert show(sympy.expand((c_288 + c_40 + 1) * sympy.floor(H / 2))) == \
        "(c_40 + c_288 + 1)*floor(H/2)"


def test_the_stored_expression_keeps_sympys_order():
    expr = c_288 + c_40
    assert str(expr) == "c_288 + c_40"
    assert sorted([c_288, c_40], key=sort_key) == [c_288, c_40]
    assert sorted([c_288, c_40], key=natural_key) == [c_40, c_288]


def _widths(text: str) -> list:
    return [int(k) for k in re.findall(r"make_divisible\((\d+)\*a, 8\)", text)]


def test_a_mobilenet_total_lists_its_widths_in_increasing_order():
    a = sc.multiplier("a")
    model = sc.zoo.mobilenet_v3_small((224, 224, 3), alpha=a)
    widths = _widths(show(model.non_trainable_params))
    assert widths == [16, 24, 40, 48, 72, 88, 96, 120, 144, 240, 288, 576]


def test_more_than_ten_roundings_keep_their_order():
    """Eleven roundings of ``H``: the terms follow the atoms' order (SymPy's: ``H/12``
    before ``H/2``), never ``floor(H/12)``, ``floor(H/11)``, ``floor(H/3)``, ... by the
    stand-ins' names."""
    expr = sum((i + 1) * sympy.floor(H / i) for i in range(2, 13))
    text = show(expr)
    assert [int(d) for d in re.findall(r"floor\(H/(\d+)\)", text)] == \
        list(range(12, 1, -1)), text
