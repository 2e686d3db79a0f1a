"""Markdown output (symcnn.render.markdown) and Jupyter's rich display of a model."""

from __future__ import annotations

import symcnn as sc
from symcnn.zoo import textbook


def test_markdown_table_has_the_latex_tables_content():
    md = textbook.cifar().to_markdown()
    lines = md.splitlines()
    assert lines[2] == "| Layer | Type | Output shape | Parameters |"
    assert lines[3] == "|:--|:--|:--|--:|"
    assert "| `conv2d_3` | Conv2D | (1, 1, 512) | `256*3*3*512 + 512` = 1,180,160 |" in lines
    assert "| **Total params** |  |  | 1,580,976 |" in lines
    assert "| **Trainable params** |  |  | 1,579,056 |" in lines
    assert "| **Non-trainable params** |  |  | 1,920 |" in lines


def test_formulas_are_in_code_spans_so_stars_are_not_emphasis():
    md = textbook.free_width().to_markdown()
    assert "| `dense` | Dense | (n,) | `160*n` |" in md
    assert "| **Total params** |  |  | `160*n + 48320` |" in md


def test_math_mode_writes_latex_between_dollars():
    md = textbook.cifar().to_markdown(math=True)
    assert r"| $3 \cdot 3 \cdot 3 \cdot 64 + 64 = 1{,}792$ |" in md


def test_markdown_derivation_lists_each_layers_steps():
    md = textbook.free_width().to_markdown(style="derivation")
    assert "### `conv2d_1` (Conv2D)" in md
    assert "params = C_in*K_h*K_w*F = 20*3*3*40 = 7,200" in md
    assert "- Total params: `160*n + 48320`" in md
    math = textbook.free_width().to_markdown(style="derivation", math=True)
    assert "$$\n\\begin{aligned}" in math


def test_jupyter_displays_a_model_as_its_markdown_table_with_math():
    model = textbook.cifar()
    assert model._repr_markdown_() == model.to_markdown(math=True)


def test_markdown_columns_and_constraints():
    H = sc.symbols("H")
    m = sc.Sequential([sc.Input((H, 8, 3)), sc.Conv2D(4, 3)])
    md = m.to_markdown(columns=["layer", "output_shape"])
    assert md.splitlines()[2] == "| Layer | Output shape |"
    assert md.rstrip().endswith("Valid for `H >= 3`.")


def test_count_columns_follow_the_tables_mode_text_or_math():
    H, W = sc.symbols("H W")
    model = textbook.cifar((H, W, 3))
    columns = ["layer", "params", "macs"]
    assert "| `conv2d_1` | 73,856 | `73728*floor(H/2)*floor(W/2)` |" in \
        model.to_markdown(columns=columns)
    math = model.to_markdown(columns=columns, math=True)
    assert (r"| `conv2d_1` | $73{,}856$ | "
            r"$73{,}728 \left\lfloor{\frac{H}{2}}\right\rfloor \left\lfloor{\frac{W}{2}}\right\rfloor$ |"
            in math)
    assert r"| **Total MACs** |  | $1{,}728 H W + " in math


def test_a_pipe_in_a_layer_name_does_not_split_the_row():
    model = sc.Sequential([sc.Input((4,)), sc.Dense(3, name="fc|1")])
    row = next(line for line in model.to_markdown().splitlines() if "fc" in line)
    assert row.startswith(r"| `fc\|1` | Dense |") and row.replace(r"\|", "").count("|") == 5


def test_a_layer_name_with_a_backtick_stays_one_code_span():
    """``a`b`` closed the span at its backtick; the fence is now one backtick longer."""
    model = sc.Sequential([sc.Input((4,)), sc.Dense(3, name="a`b"), sc.Dense(2, name="`c")])
    text = model.to_markdown()
    assert "| ``a`b`` | Dense |" in text and "| `` `c `` | Dense |" in text
