"""Display forms read as a person writes them, and read back exactly.

- a difference reads ``a - b``, never ``-b + a`` (``floor((16 - k)/k) + 1``);
- a plain symbol is shifted also where it is squared, when that is exact
  (``5*w**2*(H - 1)*(W - 3)**2``), never into a completed square;
- the block counts ``r_1 .. r_4`` of a symbolic EfficientNet are collected alike;
- a rounding over a symbolic power and other factors is one LaTeX fraction.

Every text is parsed back (``sympy.sympify`` and symcnn's own parser) and compared with the
stored expression: the display only rearranges it.
"""

from __future__ import annotations

import importlib.util
import pathlib
import re
import sys

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn.expr_parser import parse_expression
from symcnn.render.exprs import display_form, show, show_latex

H, W, w, n, k, s, L = sc.symbols("H W w n k s L")
r_1, r_2, r_3 = sc.symbols("r_1 r_2 r_3")
NAMES = {str(x): x for x in (H, W, w, n, k, s, L, r_1, r_2, r_3)}
ROOT = pathlib.Path(__file__).resolve().parents[2]


def back(text: str):
    """``text`` read by SymPy and by symcnn's parser; they must agree."""
    by_sympy = sympy.sympify(text, locals=NAMES)
    by_symcnn = parse_expression(text, NAMES)
    assert sympy.expand(by_sympy - by_symcnn) == 0, text
    return by_symcnn


def assert_exact(expr):
    text = show(expr)
    assert sympy.expand(back(text)) == sympy.expand(expr), (expr, text)
    assert sympy.expand(display_form(expr) - expr) == 0, (expr, text)
    return text


# ------------------------------------------------------------------ properties

sizes = st.builds(lambda x, c, e: (x - c) ** e, st.sampled_from([H, W, n, k]),
                  st.integers(-4, 6), st.integers(1, 3))
products = st.builds(lambda c, fs, e: c * sympy.Mul(*fs) * w**e,
                     st.integers(-500, 500).filter(bool), st.lists(sizes, max_size=3),
                     st.integers(0, 2))


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(products, min_size=1, max_size=4), constant=st.integers(-60, 60))
def test_a_sum_of_shifted_sizes_and_powers_reads_back_exactly(parts, constant):
    expr = sympy.expand(sympy.Add(*parts) + constant)
    assert_exact(expr)


@settings(max_examples=150, deadline=None)
@given(a=st.integers(1, 9), b=st.integers(0, 9), c=st.integers(-9, 9), e=st.integers(1, 4),
       x=st.sampled_from([H, W, k]))
def test_a_difference_starts_with_its_positive_term(a, b, c, e, x):
    """``c - a*x**e`` (and with another term) never starts with a minus sign while a term
    is positive."""
    for expr in (b + 1 - a * x**e, sympy.expand(c * w - a * x**e * n + b + 1)):
        text = assert_exact(expr)
        assert not text.startswith("-"), text


roundings = st.builds(
    lambda f, num, den: f(num / den), st.sampled_from([sympy.floor, sympy.ceiling]),
    st.builds(lambda c, x: x + c, st.integers(-5, 7), st.sampled_from([H, W])),
    st.builds(lambda q, i, j: q * 2**(L + i) * k**j * s**(2 - j), st.integers(1, 7),
              st.integers(0, 2), st.integers(0, 2)))


@settings(max_examples=150, deadline=None)
@given(rounding=roundings, c=st.integers(-3, 3))
def test_a_rounding_over_a_power_is_one_fraction_in_latex(rounding, c):
    expr = rounding + c
    assert_exact(expr)
    tex = show_latex(expr)
    assert tex.count(r"\frac") == 1, tex  # never a fraction inside a fraction
    assert re.search(r"\\frac\{[^{}]*\}\{[^{}]*2\^\{L", tex), tex  # the power below the line


# ------------------------------------------------------------------ examples

def test_a_pooling_window_as_a_symbol_reads_sixteen_minus_k_everywhere():
    model = sc.Sequential([sc.Input((16, 16, 3)), sc.MaxPooling2D(k, name="pool")],
                          name="pooled")
    size = model.output_shape[0]
    assert assert_exact(size) == "floor((16 - k)/k) + 1"
    assert show_latex(size) == r"\left\lfloor{\frac{16 - k}{k}}\right\rfloor + 1"
    assert "(floor((16 - k)/k) + 1, floor((16 - k)/k) + 1, 3)" in model.summary_text()
    assert "floor((16 - k)/k) + 1" in model.to_markdown()
    assert r"\frac{16 - k}{k}" in model.to_latex()
    assert "-k + 16" not in model.summary_text() + model.to_markdown()
    assert "- k + 16" not in model.to_latex()


def test_a_squared_size_is_shifted_like_a_linear_one():
    expr = sympy.expand(5 * (W**2 * w**2 - 6 * W * w**2 + 9 * w**2) * (H - 1))
    assert assert_exact(expr) == "5*w**2*(H - 1)*(W - 3)**2"
    assert assert_exact(sympy.expand((W - 3)**2 * (H - 2)**3)) == "(H - 2)**3*(W - 3)**2"
    assert show_latex(expr) == r"5 w^{2} \left(H - 1\right) \left(W - 3\right)^{2}"


def test_no_square_is_completed():
    """A shift of a squared symbol is taken only when each of its powers becomes a power
    of one size: ``W**2 + 2*W + 5`` is no ``(W + 1)**2 + 4``."""
    assert assert_exact(W**2 + 2 * W + 5) == "W**2 + 2*W + 5"
    text = assert_exact(sympy.expand(3 * (W - 3)**2 * w + 5 * W))  # 5*W would need W - 3 too
    assert "W - 3" not in text and len(sympy.Add.make_args(back(text))) == 4, text


def test_block_counts_of_one_family_are_each_collected_once():
    """Stage 1's first block is its repeated block (``r_1 - 1`` repetitions after it), the
    later stages' first blocks are not (they read the previous stage's width): ``r_2`` and
    ``r_3`` are collected all the same."""
    expr = sympy.expand((4 * w**2 + 3 * w) * (r_1 - 1) + 2 * w
                        + (12 * n**2 + 86 * n) * r_2 - 6 * n**2 + 6 * n * w
                        + (12 * W**2 + 5 * W) * r_3 - 6 * W**2 + W * n)
    text = assert_exact(expr)
    assert text.startswith("(4*w**2 + 3*w)*(r_1 - 1) + 2*(6*n**2 + 43*n)*r_2 + "
                           "(12*W**2 + 5*W)*r_3 - "), text
    assert [text.count(f"r_{i}") for i in (1, 2, 3)] == [1, 1, 1]


def _zoo_doc():
    name = "make_zoo_doc_for_display_forms"  # another test loads the script as its own
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name,
                                                      ROOT / "scripts" / "make_zoo_doc.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # its dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_the_efficientnet_total_of_the_zoo_page_names_each_block_count_once():
    zoo = _zoo_doc()
    entry = next(e for e in zoo.ENTRIES if e.function == "efficientnet_b0")
    total = zoo.closed_forms(entry).trainable
    counts = sorted((x for x in total.free_symbols if x.name.startswith("r_")), key=str)
    assert [x.name for x in counts] == ["r_1", "r_2", "r_3", "r_4"]
    text = show(total)
    names = {x.name: x for x in total.free_symbols}
    assert sympy.expand(parse_expression(text, names)) == sympy.expand(total)
    assert "*(r_1 - 1)" in text
    assert [len(re.findall(rf"\br_{i}\b", text)) for i in (1, 2, 3, 4)] == [1, 1, 1, 1], text


def test_latex_of_a_rounding_over_a_power_and_a_square():
    L_ = sympy.floor((H + 3) / (2**L * s**2))
    assert show(L_) == "floor((H + 3)/(2**L*s**2))"
    assert show_latex(L_) == r"\left\lfloor{\frac{H + 3}{2^{L} s^{2}}}\right\rfloor"
    assert show_latex(sympy.floor(H / (3 * 2**L))) == \
        r"\left\lfloor{\frac{H}{3 \cdot 2^{L}}}\right\rfloor"
    assert show_latex(sympy.ceiling((H - 1) / 2**(L + 1))) == \
        r"\left\lceil{\frac{H - 1}{2^{L + 1}}}\right\rceil"


@settings(max_examples=150, deadline=None)
@given(terms=st.lists(st.tuples(st.integers(1, 9), st.lists(st.sampled_from([H, W, w, n, L]),
                                                            min_size=2, max_size=5)),
                      min_size=1, max_size=4))
def test_every_term_names_its_symbols_in_one_order(terms):
    """A product's symbols and their powers go by name in every term (``9*C**2*L +
    5*C*L``, never ``9*L*C**2 + 5*C*L``), in text and in LaTeX, and read back exactly."""
    expr = sympy.Add(*(c * sympy.Mul(*factors) for c, factors in terms))
    text = show(expr)
    assert sympy.expand(back(text) - expr) == 0
    for term in re.split(r" [+-] ", text):
        names = re.findall(r"[A-Za-z]\w*", term)
        assert names == sorted(names), (text, term)
    for term in re.split(r" [+-] ", show_latex(expr)):
        names = re.findall(r"[A-Za-z]", re.sub(r"\^\{\d+\}", "", term))
        assert names == sorted(names), (show_latex(expr), term)


def test_a_repeated_convolution_names_c_before_l_in_both_terms():
    C = sc.symbols("C")
    model = sc.Sequential([sc.Input((H, W, C)), sc.Repeat(sc.Conv2D(C, 3, padding="same"), L)])
    assert show(model.params) == "9*C**2*L + C*L"
    assert "9 C^{2} L + C L" in model.to_latex()
