"""Reading a student's table: shapes cut into sizes by their top-level commas, and the
summaries students copy (symcnn's ``model.summary()`` and Keras 3's box) read as tables."""

from __future__ import annotations

import pytest

import symcnn as sc
from symcnn.teach.claims import parse_shape
from symcnn.teach.tables import aligned_cells, box_cells, split_shape

from ..conftest import require


def seq(*layers, shape=(32, 32, 3)):
    return sc.Sequential([sc.Input(shape), *layers])


def marked_ok(model, layer, shape) -> bool:
    return sc.check(model, [{"layer": layer, "output_shape": shape}]).rows[0].ok


# --------------------------------------------------------------------------- shapes


def test_only_the_outer_brackets_of_a_shape_are_taken_off():
    """A size's own brackets stay: ``((H + 1)//4, ...)`` lost its first bracket before."""
    assert split_shape("((H + 1)//4, (W + 1)//4, 16)") == ["(H + 1)//4", "(W + 1)//4", "16"]
    assert split_shape("[None, 8, ceiling(W/2)]") == ["None", "8", "ceiling(W/2)"]
    H, W = sc.symbols("H W")
    model = seq(sc.Conv2D(16, 3, strides=2, padding="same"), sc.MaxPooling2D(2),
                shape=(H, W, 3))
    assert marked_ok(model, "max_pooling2d", "((H + 1)//4, (W + 1)//4, 16)")


def test_commas_inside_a_size_do_not_part_it():
    """``make_divisible(32*a, 8)`` and ``Max(1, H)`` are one size each."""
    assert split_shape("(6, 6, make_divisible(32*a, 8))") == ["6", "6", "make_divisible(32*a, 8)"]
    assert split_shape("(Max(1, H - 2), 4)") == ["Max(1, H - 2)", "4"]
    assert split_shape("(7200,)") == ["7200"]


def test_a_channels_first_shape_as_symcnn_prints_it_is_read():
    H, W = sc.symbols("H W")
    model = seq(sc.Conv2D(8, 3, data_format="channels_first", strides=2, padding="same"),
                shape=(3, H, W))
    printed = str(model.layers[0].output_shape)
    assert printed == "(8, ceiling(H/2), ceiling(W/2))"
    assert marked_ok(model, "conv2d", printed)


def test_a_symbol_named_x_is_a_name_not_a_separator():
    x = sc.symbols("x")
    model = seq(sc.Conv2D(4, 3), shape=(x, 8, 3))
    assert split_shape("(x - 2, 6, 4)") == ["x - 2", "6", "4"]
    assert marked_ok(model, "conv2d", str(model.layers[0].output_shape))
    assert split_shape("2x") == ["2x"]


@pytest.mark.parametrize("text, sizes", [
    ("32x32x3", ["32", "32", "3"]),
    ("32X32X3", ["32", "32", "3"]),
    ("7 x 3.33 x 2", ["7", "3.33", "2"]),
    ("32 × 32 × 3", ["32", "32", "3"]),
    ("H x W x 3", ["H", "W", "3"]),
    ("H/2 × W/2 × 64", ["H/2", "W/2", "64"]),
    ("(x - 2) x 6", ["(x - 2)", "6"]),
])
def test_sizes_joined_by_x_or_times_are_a_shape(text, sizes):
    """``x`` parts sizes when it stands alone between spaces, or glued between numbers
    only; ``×`` always (outside brackets)."""
    assert split_shape(text) == sizes


def test_a_shape_whose_brackets_do_not_pair_loses_the_lone_one():
    assert parse_shape("(30, 30, 64") == parse_shape("30, 30, 64)") == parse_shape("(30, 30, 64)")


# --------------------------------------------------------------------------- summaries


def tiny():
    return seq(sc.Conv2D(8, 3), sc.BatchNormalization(), sc.Flatten(), sc.Dense(10))


def test_symcnns_own_summary_text_is_marked_right():
    """The ``Model: "..."`` title was taken for the header ("the table needs an output
    shape or a parameter column")."""
    model = tiny()
    for text in (model.summary_text(), model.summary_text(show_trainable=True)):
        report = sc.check(model, text)
        assert report.ok and report.marks == (8, 8)
    assert aligned_cells(model.summary_text())[0][1] == ["Layer (type)", "Output Shape",
                                                         "Param #"]


def test_a_wrong_number_in_a_copied_summary_is_diagnosed():
    model = tiny()
    text = model.summary_text().replace("72,010", "72,000")
    report = sc.check(model, text)
    assert report.rows[-1].diagnosis == "missing_bias" and report.marks == (7, 8)


def test_a_summary_whose_cells_wrap_over_lines_is_read_row_by_row():
    """MobileNet-V3's summary wraps shapes, counts and long layer names over several lines
    (even inside ``make_divisible``); each row is joined again."""
    model = sc.zoo.mobilenet_v3_small(alpha=sc.multiplier("a"))
    text = model.summary_text()
    assert len(text.splitlines()) > 2 * len(model.layers)  # rows of several lines
    report = sc.check(model, text)
    assert len(report.rows) == len(model.layers) - 1  # every layer but the input
    assert report.ok


@pytest.mark.parametrize("line_length", [80, 90, 100])
def test_a_narrow_summary_is_read_row_by_row_although_its_counts_wrap_too(line_length):
    """At 80 characters a type wraps (``stem_bn (Batch`` / ``Normalization)``) beside a
    parameter cell that fills its column on every line; the line went for a new row of a
    layer named ``Normalization)``. A row goes on while a cell is open (a bracket not closed,
    a name that ends in ``_``, a count that ends in ``*``)."""
    model = sc.zoo.mobilenet_v3_small(alpha=sc.multiplier("a"))
    report = sc.check(model, model.summary_text(line_length=line_length))
    assert len(report.rows) == len(model.layers) - 1
    assert report.ok


def test_a_summary_with_a_where_block_is_read_with_its_names():
    model = sc.zoo.resnet18(width="w")
    text = model.summary_text(where=True)
    assert "\nwhere " in text
    assert sc.check(model, text).ok


def test_the_keras_3_summary_box_is_marked_right():
    require("keras")
    model = tiny()
    lines: list = []
    model.to_keras().summary(print_fn=lambda line, **kwargs: lines.append(line))
    text = "\n".join(lines)
    assert "┃ Layer (type)" in text and "(None, 30, 30, 8)" in text
    assert "│ (BatchNormalization)" in text  # a wrapped row
    report = sc.check(model, text)
    assert report.ok and report.marks == (8, 8)
    assert [r.layer for r in report.rows] == ["conv2d", "batch_normalization", "flatten",
                                              "dense"]


def test_a_keras_functional_summary_skips_its_input_and_connected_to_column():
    require("keras")
    import keras

    x = keras.Input((8, 8, 3))
    y = keras.layers.Conv2D(3, 3, padding="same", name="conv2d")(x)  # named: Keras numbers
    built = keras.Model(x, keras.layers.Add(name="add")([x, y]))  # unnamed ones per session
    lines: list = []
    built.summary(print_fn=lambda line, **kwargs: lines.append(line))
    text = "\n".join(lines)
    assert "Connected to" in text
    report = sc.check(sc.from_keras(built), text)
    assert report.ok and [r.layer for r in report.rows] == ["conv2d", "add"]


def test_a_keras_box_without_rules_between_rows_starts_a_row_at_each_layer_name():
    text = """Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━┓
┃ Layer (type)         ┃ Output Shape       ┃ Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━┩
│ conv2d (Conv2D)      │ (None, 30, 30, 8)  │     224 │
│ batch_normalization  │ (None, 30, 30, 8)  │      32 │
│ (BatchNormalization) │                    │         │
│ flatten (Flatten)    │ (None, 7200)       │       0 │
└──────────────────────┴────────────────────┴─────────┘"""
    rows = box_cells(text)
    assert [r[1][0] for r in rows] == ["Layer (type)", "conv2d (Conv2D)",
                                       "batch_normalization (BatchNormalization)",
                                       "flatten (Flatten)"]
    assert sc.check(seq(sc.Conv2D(8, 3), sc.BatchNormalization(), sc.Flatten()), text).ok


def test_layer_names_keras_cut_short_are_found_by_their_start_and_type():
    """Keras 3 cuts long names in a functional summary (``conv3_block1_1_con…``), and
    sometimes the type too (``(BatchNormalizatio…``): the row is the next layer whose name
    and type start so."""
    require("keras")
    built = sc.zoo.mobilenet_v2(input_shape=(96, 96, 3), alpha=0.5).to_keras()
    lines: list = []
    built.summary(print_fn=lambda line, **kwargs: lines.append(line))
    text = "\n".join(lines)
    assert "\u2026" in text  # names cut short
    model = sc.from_keras(built)
    report = sc.check(model, text)
    assert report.ok and len(report.rows) == len(model.layers) - 1
