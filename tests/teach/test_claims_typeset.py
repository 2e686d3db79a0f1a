"""Answers typeset as a student types mathematics (a multiplication dot, superscript
powers, ceiling and floor brackets, full-width digits, a sentence's full stop, products
written by juxtaposition, a shape of bracketed sizes glued by ``x``) are read exactly: a
right one is marked right and a wrong one wrong. The right values come from PyTorch and
Keras layers, never from the numbers typed here."""

from __future__ import annotations

import os

import pytest
import sympy

import symcnn as sc
from symcnn.teach.claims import parse_number

torch = pytest.importorskip("torch")


def torch_params(module) -> int:
    return sum(p.numel() for p in module.parameters())


def mark(model, **row):
    """The one mark of the single claimed row ``row``."""
    return sc.check(model, [{"layer": 0, **row}]).rows[0].marks[0]


def test_a_number_typeset_is_read_exactly():
    model = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(64, 3)])
    right = torch_params(torch.nn.Conv2d(3, 64, 3))
    assert model.params == right
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in str(right))          # １７９２
    wrong_full_width = "".join(chr(ord(c) + 0xFEE0) for c in str(right + 1))
    for good, bad in [(full_width, wrong_full_width),
                      (f"{right}.", f"{right + 1}."),                     # a sentence's stop
                      ("3\u00b73\u00b73\u00b764 + 64", "3\u00b73\u00b73\u00b764"),
                      ("(3\u22c53\u22c53 + 1)64", "(3\u22c53\u22c53)64")]:
        assert mark(model, params=good).ok, good
        bad_mark = mark(model, params=bad)
        assert not bad_mark.ok and bad_mark.diagnosis != "unreadable", bad


def test_a_decimal_point_is_never_read_as_thousands_grouping():
    model = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(64, 3)])
    right = torch_params(torch.nn.Conv2d(3, 64, 3))
    grouped_the_german_way = f"{right // 1000}.{right % 1000:03d}"        # 1.792
    for text in (grouped_the_german_way, grouped_the_german_way + "."):
        m = mark(model, params=text)
        assert not m.ok and m.diagnosis != "unreadable"
        assert m.claimed.tolerance == sympy.Rational(1, 1000)   # a decimal, as written


def test_juxtaposed_products_and_dots_with_a_symbol():
    n = sc.symbols("n")
    model = sc.Sequential([sc.Input((27,)), sc.Dense(n)])
    for size in (5, 13):   # the closed form is PyTorch's count at every size tried
        assert model.params.subs(n, size) == torch_params(torch.nn.Linear(27, size))
    for good, bad in [("28\u00b7n", "27\u00b7n"), ("n(27+1)", "n(27+2)"),
                      ("(28)n", "(27)n"), ("(27 + 1) n", "(27) n")]:
        assert mark(model, params=good).ok, good
        bad_mark = mark(model, params=bad)
        assert not bad_mark.ok and bad_mark.diagnosis != "unreadable", bad


def test_superscript_powers():
    n = sc.symbols("n")
    model = sc.Sequential([sc.Input((16, 16, n)), sc.Conv2D(n, 3, use_bias=False)])
    for size in (2, 5):
        assert model.params.subs(n, size) == \
            torch_params(torch.nn.Conv2d(size, size, 3, bias=False))
    assert mark(model, params="9n\u00b2").ok and mark(model, params="3\u00b2n\u00b2").ok
    for bad in ("9n\u00b3", "8n\u00b2", "9n\u00b2\u00b2"):   # n²² is n**22, as written
        m = mark(model, params=bad)
        assert not m.ok and m.diagnosis != "unreadable", bad


def keras_same_size(h: int) -> int:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    layer = keras.layers.Conv2D(4, 3, strides=2, padding="same")
    return int(layer.compute_output_shape((1, h, h, 3))[1])


def test_ceiling_and_floor_brackets():
    H = sc.symbols("H")
    same = sc.Sequential([sc.Input((H, H, 3)), sc.Conv2D(4, 3, strides=2, padding="same")])
    pool = sc.Sequential([sc.Input((H, H, 3)), sc.MaxPooling2D(2)])
    for h in (7, 8, 9):   # Keras' 'same' size and PyTorch's pooled size at these sizes
        assert same.layers[0].output_shape[0].subs(H, h) == keras_same_size(h)
        pooled = torch.nn.MaxPool2d(2)(torch.zeros(1, 3, h, h)).shape[-1]
        assert pool.layers[0].output_shape[0].subs(H, h) == pooled
    ceil, floor = "\u2308H/2\u2309", "\u230aH/2\u230b"
    assert mark(same, output_shape=f"({ceil}, {ceil}, 4)").ok
    assert mark(pool, output_shape=f"({floor}, {floor}, 3)").ok
    assert mark(same, output_shape=f"(2{ceil} - 1, {ceil}, 4)").diagnosis != "unreadable"
    assert not mark(same, output_shape=f"({floor}, {floor}, 4)").ok
    assert not mark(pool, output_shape=f"({ceil}, {ceil}, 3)").ok
    # a ceiling closed by a floor bracket is not guessed at: it cannot be read
    assert mark(same, output_shape="(\u2308H/2\u230b, 4, 4)").diagnosis == "unreadable"


def test_a_shape_of_bracketed_sizes_glued_by_x():
    H, W = sc.symbols("H W")
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(64, 3)])
    for h, w in ((9, 12), (20, 7)):
        out = torch.nn.Conv2d(3, 64, 3)(torch.zeros(1, 3, h, w)).shape
        assert tuple(s.subs({H: h, W: w}) for s in model.layers[0].output_shape) == \
            (out[2], out[3], out[1])
    assert mark(model, output_shape="(H - 2)x(W - 2)x64").ok
    assert mark(model, output_shape="(H - 2)X(W - 2)X64").ok
    wrong = mark(model, output_shape="(H - 3)x(W - 3)x64")
    assert not wrong.ok and wrong.diagnosis != "unreadable"


@pytest.mark.parametrize("text", [
    "\u2308" * 3000 + "H" + "\u2309" * 3000,        # deeper than the reader nests
    "n(" * 3000 + "1" + ")" * 3000,
    "2" + "\u00b2" * 5000,                          # 2**222...2: far too large a power
    "\u00b7" * 5000, "\u2308" * 5000, "n\u207b" * 2000,
    "__import__('os')\u00b7system('true')", "(1)(2)" * 2000,
])
def test_hostile_typeset_text_is_refused_not_evaluated(text):
    n = sc.symbols("n")
    model = sc.Sequential([sc.Input((27,)), sc.Dense(n)])
    m = mark(model, params=text)
    assert not m.ok and m.diagnosis == "unreadable"


def test_the_reader_keeps_the_models_symbols_for_a_typeset_closed_form():
    n = sc.symbols("n")
    assert parse_number("28\u00b7n", symbols={"n": n}).value.free_symbols == {n}


def test_a_same_layer_worked_as_valid_names_same_as_valid_among_its_ties():
    """'same', 3x3, stride 2 on 21: PyTorch's unpadded Conv2d gives 10, which is also P
    added once and floor for ceiling; all three are named (the first in catalogue order)."""
    model = sc.Sequential([sc.Input((21, 21, 4)), sc.Conv2D(8, 3, strides=2, padding="same")])
    valid = torch.nn.Conv2d(4, 8, 3, stride=2)(torch.zeros(1, 4, 21, 21)).shape
    m = mark(model, output_shape=(valid[2], valid[3], valid[1]))
    assert not m.ok
    assert {m.diagnosis, *m.also} == {"padding_total_vs_per_side", "ceil_vs_floor",
                                      "same_as_valid"}
