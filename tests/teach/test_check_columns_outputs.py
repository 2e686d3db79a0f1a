"""Headers, several outputs, and the diagnoses' words: a column whose header had ``per``
(or ``input``, ``kernel``, ``filter``) anywhere in it was dropped and the table passed; a
layer's several outputs were ``unreadable`` (symcnn's own summary scored 0.75) or matched on
the first output alone; an output shape that kept the input's channels was
``channels_swapped`` with the working ``C_out = F = 4`` (F is 8); ``no_floor`` said "rounded
down" of a size that rounds up, with the working ``H_out = 15/2 = 15/2``; the
``bn_trainable_only`` explanation named Keras only; a long unreadable entry was echoed in
full; ``0x10`` read as 0, ``3x3x3x8 + 8`` as a name."""

from __future__ import annotations

import keras
import pytest
import torch

import symcnn as sc
from symcnn.teach.claims import parse_number


def _keras_summary(model) -> str:
    lines = []
    model.summary(print_fn=lambda line, **kwargs: lines.append(line))
    return "\n".join(lines)


@pytest.mark.parametrize("header", ["Parameters per layer", "Params per layer",
                                    "Params (kernel + bias)", "Param # (per layer)"])
def test_a_count_column_whose_header_mentions_other_words_is_marked(header):
    model = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(8, 3), sc.Flatten(), sc.Dense(10)])
    wrong = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(8, 3), sc.Flatten(), sc.Dense(9)])
    rows = "".join(f"| {r.name} | {r.output_shape} | {w.params} |\n"
                   for r, w in zip(model._records, wrong._records))
    report = sc.check(model, f"| Layer | Output shape | {header} |\n|---|---|---|\n" + rows)
    # the counts of a model with one unit fewer: conv2d and flatten right, dense wrong
    assert report.marks == (5, 6)
    assert [r.ok for r in report.rows] == [True, True, False]


def test_an_output_shape_column_about_the_sample_is_marked_and_other_shapes_are_not():
    model = sc.Sequential([sc.Input((10, 10, 4)), sc.Conv2D(8, 3)])
    torchinfo_like = ("| Layer (type:depth-idx) | Input Shape | Output Shape (per sample) | "
                      "Kernel Shape | Param # | Param % |\n|---|---|---|---|---|---|\n"
                      f"| conv2d | (10, 10, 4) | (9, 9, 8) | (3, 3) | {model.params} | 100 |\n")
    report = sc.check(model, torchinfo_like)  # (9, 9, 8) is wrong: the column is marked
    assert [m.field for m in report.rows[0].marks] == ["output_shape", "params"]
    assert [m.ok for m in report.rows[0].marks] == [False, True]


def test_an_output_shape_that_kept_the_input_channels_is_not_channels_swapped():
    conv = sc.Sequential([sc.Input((10, 10, 4)), sc.Conv2D(8, 3)])
    dense = sc.Sequential([sc.Input((10,)), sc.Dense(3)])
    for model, shape in ((conv, (8, 8, 4)), (dense, (10,))):
        mark = sc.check(model, [{"layer": 0, "output_shape": shape}]).rows[0].marks[0]
        assert mark.diagnosis == "unexplained" and mark.follows is None
    # a count with C_in and F swapped still is: (F*3*3)*C_in + C_in, brute force from Keras
    swapped = keras.Sequential([keras.Input((10, 10, 8)), keras.layers.Conv2D(4, 3)])
    mark = sc.check(conv, [{"layer": 0, "params": swapped.count_params()}]).rows[0].marks[0]
    assert mark.diagnosis == "channels_swapped"


def test_no_floor_of_a_size_that_rounds_up_says_so():
    model = sc.Sequential([sc.Input((15, 15, 3)), sc.Conv2D(4, 3, strides=2, padding="same")])
    keras_size = keras.layers.Conv2D(4, 3, strides=2, padding="same").compute_output_shape(
        (None, 15, 15, 3))[1]
    report = sc.check(model, [{"layer": 0, "output_shape": (7.5, 7.5, 4)}])
    mark = report.rows[0].marks[0]
    assert keras_size == 8 and mark.expected[0] == keras_size  # ceiling(15/2): rounds up
    assert mark.diagnosis == "no_floor"
    assert mark.follows == "H_out = 15/2; W_out = 15/2"
    assert "rounds up" in mark.explanation and "ceiling(H/S)" in mark.explanation
    assert "rounded down" not in sc.teach.CATALOGUE["no_floor"].title
    pool = torch.nn.Sequential(torch.nn.MaxPool2d(2, 2, ceil_mode=True))
    torch_size = pool(torch.zeros(1, 3, 5, 5)).shape[-1]
    mark = sc.check(sc.from_torch(pool, input_shape=(3, 5, 5)),
                    [{"layer": 0, "output_shape": (3, 2.5, 2.5)}]).rows[0].marks[0]
    assert mark.expected[-1] == torch_size and mark.diagnosis == "no_floor"
    assert "ceil_mode=True" in mark.explanation


def test_batchnorm_counted_as_pytorch_counts_it_is_explained_with_pytorch_convention():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 32, 3), torch.nn.BatchNorm2d(32))
    torch_count = sum(p.numel() for p in net[1].parameters())
    mark = sc.check(sc.from_torch(net, input_shape=(3, 8, 8)),
                    [{"layer": "1", "params": torch_count}]).rows[0].marks[0]
    assert mark.diagnosis == "bn_trainable_only"  # the marking rule is unchanged
    assert "PyTorch" in mark.explanation and "parameters()" in mark.explanation


def test_the_outputs_of_a_layer_with_several_are_read_and_all_compared():
    x = sc.Input((5, 8))
    model = sc.Model(x, sc.LSTM(16, return_state=True)(x))
    assert sc.check(model, model.summary_text()).ok
    assert sc.check(model, model.to_markdown()).ok
    kx = keras.Input((5, 8))
    keras_model = keras.Model(kx, keras.layers.LSTM(16, return_state=True)(kx))
    keras_report = sc.check(sc.from_keras(keras_model), _keras_summary(keras_model))
    assert keras_report.ok and keras_report.marks == (2, 2)
    shapes = [tuple(t.shape[1:]) for t in keras_model.outputs]
    assert sc.check(model, [{"layer": "lstm", "output_shape": shapes}]).ok
    one_wrong = shapes[:-1] + [(8,)]
    for claim in (shapes[0], one_wrong, shapes[:-1]):  # the first alone is not all of them
        report = sc.check(model, [{"layer": "lstm", "output_shape": claim}])
        assert not report.ok and report.rows[0].diagnosis == "unexplained"
    assert "[(16,), (16,), (16,)]" in str(report)


def test_a_long_unreadable_entry_is_shortened_in_every_report():
    model = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(8, 3)])
    entry = "7" * 3000 + "+"
    report = sc.check(model, [{"layer": 0, "params": entry}])
    assert report.rows[0].diagnosis == "unreadable"
    assert report.rows[0].marks[0].claimed.text == entry  # kept whole on the mark
    for text in (report.to_text(), report.to_markdown(), report.to_html(),
                 report.to_latex()):
        assert "7" * 400 not in text


@pytest.mark.parametrize("entry", ["0x10", "0X0", "0b0", "0o0"])
def test_a_prefixed_literal_is_unreadable_not_zero(entry):
    model = sc.Sequential([sc.Input((8, 8, 3)), sc.MaxPooling2D(2)])
    assert sc.check(model, [{"layer": 0, "params": entry}]).rows[0].diagnosis == "unreadable"


def test_numbers_joined_by_x_in_a_count_are_a_product():
    model = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(8, 3)])
    keras_count = keras.Sequential([keras.Input((32, 32, 3)),
                                    keras.layers.Conv2D(8, 3)]).count_params()
    for entry in ("3x3x3x8 + 8", "3 x 3 x 3 x 8 + 8", "3X3X3X8 + 8"):
        assert parse_number(entry).value == keras_count
        assert sc.check(model, [{"layer": 0, "params": entry}]).ok
    assert not sc.check(model, [{"layer": 0, "params": "3x3x3x8"}]).ok  # bias left out


@pytest.mark.parametrize("entry", ["0n", "0*n", "n - n", "0(k + 1)"])
def test_a_name_that_cancels_out_of_a_count_is_unreadable(entry):
    """``0n`` read as 0 whatever ``n`` is, and was marked right for a pooling layer (Keras:
    0 parameters); a name the value drops says nothing of the model's sizes."""
    keras = pytest.importorskip("keras")
    pool = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.MaxPooling2D(2)])
    model = sc.from_keras(pool)
    assert model.params == pool.count_params() == 0
    report = sc.check(model, [{"layer": 0, "params": entry}])
    assert report.score == 0.0 and "cancel" in str(report) and "unreadable" in str(report)
    assert sc.check(model, [{"layer": 0, "params": "0"}]).score == 1.0
