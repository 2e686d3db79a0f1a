"""The text summary's layout (:mod:`symcnn.render.keras_summary`, wrapping by
:mod:`symcnn.render.wrapping`): a cell too wide for its column wraps where a reader would
break it (between the parts of a shape, a sum or a product, after a call's ``(``, after an
``_`` of a name), and cuts inside a word only where nothing else fits."""

from __future__ import annotations

import re

import pytest

import symcnn as sc
from symcnn.render.keras_summary import SummaryData, layout, summary_data
from symcnn.render.wrapping import wrap_expression


def mobilenet_v3_small():
    return sc.zoo.mobilenet_v3_small(alpha=sc.multiplier("a"))


def test_a_long_layer_name_wraps_after_an_underscore():
    # was "block_10_depthwise_hard_swis" / "h (Activation)"
    assert wrap_expression("block_10_depthwise_hard_swish (Activation)", 28) == [
        "block_10_depthwise_hard_", "swish (Activation)"]
    assert wrap_expression("expanded_conv_10_squeeze_excite_avg_pool", 30) == [
        "expanded_conv_10_squeeze_", "excite_avg_pool"]
    text = mobilenet_v3_small().summary_text()
    assert "block_10_depthwise_hard_" in text
    assert not re.search(r"swis +\(ceiling", text)


def test_a_type_too_wide_for_its_column_wraps_between_the_words_of_its_name():
    assert wrap_expression("(GlobalAveragePooling2D)", 18) == ["(GlobalAverage", "Pooling2D)"]


def test_a_call_wraps_after_its_parenthesis_never_inside_its_name():
    # was "make_divisible(make_divi" / "sible(16*a, 8)/4, 8))"
    assert wrap_expression("(1, 1, make_divisible(make_divisible(16*a, 8)/4, 8))", 35) == [
        "(1, 1,", "  make_divisible(", "    make_divisible(16*a, 8)/4, 8))"]
    assert wrap_expression("Max(1, floor(make_divisible(32*w, 8)/4))", 26) == [
        "Max(1,", "  floor(make_divisible(", "    32*w, 8)/4))"]
    model = mobilenet_v3_small()
    data = summary_data(model)
    text = model.summary_text()  # every make_divisible whole, on one line
    assert text.count("make_divisible") == sum(c.count("make_divisible")
                                               for c in [*data.lines, *sum(data.rows, [])])


def test_a_power_is_never_cut_between_its_two_stars():
    assert wrap_expression("make_divisible(16*a, 8)**2", 25) == ["make_divisible(",
                                                                 "  16*a, 8)**2"]
    assert wrap_expression("w**2*floor(H/2)", 14) == ["w**2*", "  floor(H/2)"]


def _breaks(cell: str, lines: list) -> list:
    """The characters on either side of each line break of ``cell`` wrapped into ``lines``."""
    out, at = [], 0
    for line in lines[:-1]:
        at = cell.index(line.strip(), at) + len(line.strip())
        rest = cell[at:].lstrip()
        out.append((cell[at - 1], rest[:1]))
    return out


@pytest.mark.parametrize("width", [16, 20, 24, 28, 34])
def test_wrapped_cells_break_between_words_and_fit_their_column(width):
    """Every cell of MobileNet-V3's and EfficientNet's summaries with symbolic widths: each
    line fits, nothing is lost, and a line ends inside a word only after an ``_`` or
    between the words of a CamelCase name (no name here is too long for those)."""
    cells = {c for model in (mobilenet_v3_small(), sc.zoo.efficientnet_b0(
                 width_coefficient=sc.multiplier("w"), depth_coefficient=sc.multiplier("d")))
             for row in summary_data(model).rows for c in row}
    for cell in cells:
        lines = wrap_expression(cell, width)
        assert all(len(line) <= width for line in lines), (cell, lines)
        assert "".join(lines).replace(" ", "") == cell.replace(" ", ""), (cell, lines)
        for before, after in _breaks(cell, lines):
            inside_a_word = before.isalnum() and after.isalnum()
            assert not inside_a_word or before.islower() and after.isupper(), (cell, lines)


def test_a_wrapped_count_is_right_aligned_as_a_block_that_keeps_its_indents():
    """Each line right-aligned on its own lost the nesting of a wrapped formula."""
    data = SummaryData("m", ["Layer (type)", "Param #"], [[
        "conv (Conv2D)",
        "(make_divisible(16*a, 8) + 1)*make_divisible(make_divisible(16*a, 8)/4, 8)"]],
        [False, True], {}, [])
    lines = layout(data, line_length=45).splitlines()[5:8]
    starts = [len(line) - len(line.lstrip()) for line in (s[12:] for s in lines)]
    assert [s[12:].strip() for s in lines] == ["(make_divisible(16*a, 8) + 1)*",
                                              "make_divisible(",
                                              "make_divisible(16*a, 8)/4, 8)"]
    assert starts == [starts[0], starts[0] + 2, starts[0] + 4]
    assert max(len(line) for line in lines) == 45  # the block ends at the column's edge
