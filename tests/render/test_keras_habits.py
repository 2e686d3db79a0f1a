"""Keras' habits: unknown sizes in Input, a batch axis refused, summary() printing as Keras'
does (and its options), count_params(); checked against Keras 3 itself where it can run."""

from __future__ import annotations

import pytest

import sympy

import symcnn as sc
from tests.conftest import require


def small():
    return sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(8, 3), sc.BatchNormalization(),
                          sc.Flatten(), sc.Dense(10)], name="small")


def test_input_none_makes_fresh_size_symbols_named_by_axis():
    a = sc.Input(shape=(None, None, 3))
    b = sc.Input(shape=(None, None, 3))
    ha, wa, c = a.shape
    assert (ha.name[:2], wa.name[:2], c) == ("H_", "W_", 3)
    assert ha.name[2:] == wa.name[2:] and ha != b.shape[0]
    assert ha.is_integer and ha.is_positive
    seq = sc.Input((None, 64)).shape
    assert seq[0].name.startswith("T_") and seq[1] == 64


def test_a_model_on_unknown_sizes_is_symbolic_and_substitutes_by_name():
    x = sc.Input((None, None, 3))
    h, w = x.shape[:2]
    model = sc.Model(x, sc.GlobalAveragePooling2D()(sc.Conv2D(8, 3)(x)))
    assert model.free_symbols == {h, w}
    assert model.constraints == [h >= 3, w >= 3]
    assert model.subs({h.name: 32, w.name: 32}).output_shape == (8,)


def test_a_batch_axis_in_input_is_refused_with_the_shape_to_use():
    with pytest.raises(sc.LayerArgumentError, match=r"Drop the leading None: shape=\(224, 224, 3\)"):
        sc.Input((None, 224, 224, 3))
    with pytest.raises(sc.LayerArgumentError, match=r"batch_shape.*shape=\(32, 32, 3\)"):
        sc.Input(batch_shape=(None, 32, 32, 3))
    assert sc.Input((32, 32, 3), batch_size=8).shape == (32, 32, 3)  # Keras' batch_size: ignored


def test_summary_prints_and_returns_none(capsys):
    model = small()
    assert model.summary() is None
    assert capsys.readouterr().out == model.summary_text() + "\n"


def test_summary_print_fn_gets_the_whole_text_once():
    calls = []
    small().summary(print_fn=calls.append)
    assert calls == [small().summary_text()]


@pytest.mark.parametrize("options, message", [
    ({"print_fn": 3}, r"`print_fn` must be a callable.*Received: print_fn=3"),
    ({"line_length": "x"}, r"`line_length` must be a positive integer.*Received: line_length='x'"),
    ({"line_length": -5}, r"Received: line_length=-5"),
    ({"line_length": True}, r"Received: line_length=True"),
    # each of these was a raw re.error, TypeError or ValueError, or a silent oddity
    ({"layer_range": ("(", "x")}, r"not a regular expression.*Received: layer_range=\['\(', 'x'\]"),
    ({"layer_range": (1, 5)}, r"`layer_range` must be two layer names.*Received: layer_range=\(1, 5\)"),
    ({"positions": [float("nan")] * 3}, r"`positions` must be 3 increasing.*nan"),
    ({"positions": "abc"}, r"`positions` must be 3 increasing.*Received: positions='abc'"),
    ({"columns": []}, r"`columns` is empty; choose some of: layer, output_shape"),
    ({"columns": "params"}, r"`columns` must be a list of column keys.*columns='params'"),
    ({"columns": ["params", "params"]}, r"`columns` names 'params' twice"),
    ({"columns": [["params"]]}, r"unknown column\(s\) \['params'\]"),
    ({"line_length": 20}, r"line_length=20 is too short for these 3 columns; their narrowest "
                          r"layout takes \d+ characters"),
])
def test_summary_options_of_the_wrong_kind_are_named(options, message):
    with pytest.raises(sc.SymcnnError, match=message):
        small().summary(**options)


def test_get_layer_by_index_as_keras():
    model = small()
    assert model.get_layer(index=0) is model.layers[0]
    assert model.get_layer(index=-1).name == model.layers[-1].name
    for bad in ({}, {"name": "dense", "index": 0}, {"index": len(model.layers)},
                {"index": "0"}):
        with pytest.raises(sc.GraphError, match=r"get_layer|`index`"):
            model.get_layer(**bad)


def test_summary_line_length_bounds_every_line_and_wraps_cells():
    H, W, w = sc.symbols("H W w")
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8 * w, 3), sc.MaxPooling2D(2),
                           sc.Conv2D(16 * w, 3, strides=2), sc.MaxPooling2D(2), sc.Flatten(),
                           sc.Dense(10)])
    for length in (70, 90, 100):
        text = model.summary_text(line_length=length)
        assert max(len(line) for line in text.splitlines()) <= length, text
    default = model.summary_text()
    assert max(len(line) for line in default.splitlines()) <= 100
    assert "floor((H + 4)/8) - 1" in default


def test_summary_positions_place_the_columns():
    text = small().summary_text(line_length=60, positions=[0.5, 0.8, 1.0])
    header = text.splitlines()[2]
    assert header.index("Output Shape") == 30 and header.endswith("Param #")
    assert len(text.splitlines()[1]) == 60
    with pytest.raises(sc.SymcnnError, match="positions"):
        small().summary_text(positions=[0.5, 0.4, 1.0])


def test_summary_show_trainable_marks_layers_with_weights():
    frozen = sc.Dense(10, trainable=False)
    model = sc.Sequential([sc.Input((4,)), sc.Dense(3), sc.ReLU(), frozen])
    rows = model.summary_text(show_trainable=True).splitlines()
    assert rows[2].rstrip().endswith("Trainable")
    marks = [r.split()[-1] for r in rows[4:7]]
    assert marks == ["Y", "-", "N"]


def test_summary_expand_nested_lists_the_inner_layers():
    inner = sc.Sequential([sc.Input((8, 8, 4)), sc.Conv2D(4, 3, padding="same"), sc.ReLU()],
                          name="block")
    outer = sc.Sequential([sc.Input((8, 8, 4)), inner, sc.Flatten()], name="outer")
    flat = outer.summary_text()
    nested = outer.summary_text(expand_nested=True)
    assert "└ conv2d (Conv2D)" in nested and "└ conv2d (Conv2D)" not in flat
    assert "Total params: 148" in nested


def test_summary_layer_range_shows_a_run_of_layers():
    text = small().summary_text(layer_range=["batch.*", "flatten"])
    assert "batch_normalization" in text and "flatten" in text
    assert "conv2d (Conv2D)" not in text and "dense (Dense)" not in text


def test_a_functional_models_inputs_are_in_the_range_only_where_it_starts_with_them():
    model = sc.zoo.resnet18((32, 32, 3))
    inner = model.summary_data(layer_range=("conv1_conv", "conv1_bn"))
    assert [r[0] for r in inner.rows] == ["conv1_conv (Conv2D)", "conv1_bn (BatchNormalization)"]
    first = model.summary_data(layer_range=("input_layer", "conv1_conv"))
    assert [r[0] for r in first.rows] == ["input_layer (InputLayer)", "conv1_conv (Conv2D)"]


def test_a_nested_layers_wrapped_name_hangs_under_its_name():
    inner_in = sc.Input(("H", "W", 3))
    conv = sc.Conv2D(8, 3, name="a_rather_long_convolution_name")(inner_in)
    inner = sc.Model(inner_in, sc.BatchNormalization(name="normalization_with_a_long_name")(conv),
                     name="block")
    x = sc.Input(("H", "W", 3))
    lines = sc.Model(x, inner(x)).summary_text(expand_nested=True, line_length=60).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("   └ a_rather_long"))
    assert lines[at + 1].startswith("     ") and "(Conv2D)" in lines[at + 1]
    assert max(len(line) for line in lines) <= 60


def test_summary_data_gives_rows_and_totals_without_printing():
    data = small().summary_data()
    assert data.header == ["Layer (type)", "Output Shape", "Param #"]
    assert [r[0] for r in data.rows][0] == "conv2d (Conv2D)"
    assert data.totals["params"] == small().params


def test_count_params_is_keras_count():
    require("keras")
    model = small()
    assert model.count_params() == model.to_keras().count_params()
    assert isinstance(model.count_params(), int)
    assert sc.zoo.textbook.free_width().count_params() == sc.zoo.textbook.free_width().params


def test_keras_summary_also_returns_none_and_calls_print_fn_once():
    keras = require("keras")
    calls = []
    result = small().to_keras().summary(print_fn=calls.append)
    assert result is None and len(calls) == 1


def test_where_names_parts_in_every_count_column_and_its_total():
    model = sc.zoo.resnet18()
    text = model.summary_text(where=True, columns=["layer", "output_shape", "macs"])
    assert "9408*h_1*w_1" in text and "ceiling(H/2)*ceiling(W/2)" not in text
    total = next(line for line in text.splitlines() if line.startswith("Total MACs:"))
    assert "h_5*w_5" in total
    assert "where h_1 = ceiling(H/2)" in text


def test_a_total_over_several_shifts_of_a_rounding_is_written_with_the_rows_names():
    model = sc.zoo.lenet5()
    text = model.summary_text(where=True, columns=["layer", "output_shape", "params", "macs"])
    total = " ".join(text.split("Total MACs: ")[1].split("Constraints")[0].split())
    # was 150*H*W + 58096*floor(H/4)*floor(W/4) + 1506*floor(H/2)*floor(W/2) - ... : no name
    assert "floor" not in total and "h_1*w_1" in total and "h_4*w_4" in total
    names = dict(line.split(" = ") for line in
                 (l.strip().removeprefix("where ").strip() for l in
                  text.split("Constraints")[1].splitlines()[1:]) if " = " in line)
    H, W = sc.symbols("H W")
    table = {sc.symbols(n): sc.parse_expression(v, {"H": H, "W": W}) for n, v in names.items()}
    symbols = {str(s): s for s in (H, W, *table)}
    value = sc.parse_expression(total, symbols).xreplace(table)
    assert sympy.expand(value - model.macs) == 0  # exact, with the names' meanings


def test_a_column_with_a_few_long_cells_gives_way_before_one_whose_every_cell_is_long():
    d = sc.multiplier("d")
    text = sc.zoo.efficientnet_b0(depth_coefficient=d).summary_text()
    # every shape (ceiling(H/2), ceiling(W/2), 32) wrapped while Param # kept a width of 25
    # for its few closed forms such as 676*ceiling(d) - 676
    assert "stem_conv (Conv2D)                    (ceiling(H/2), ceiling(W/2), 32)" in text
    assert all(len(line) <= 120 for line in text.splitlines())
