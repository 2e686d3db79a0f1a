"""sc.check marks a student's table: right rows, each diagnosis of the catalogue, carried
rows, unexplained ones, and the worked examples' own slips."""

from __future__ import annotations

import pytest
import sympy

import symcnn as sc
from symcnn.teach import CATALOGUE
from symcnn.zoo import textbook

from ..conftest import require


def diagnosis(model, **row):
    """The diagnosis of the single claimed row ``row`` (``layer`` = name or index)."""
    report = sc.check(model, [row])
    return report.rows[0].diagnosis


def seq(*layers, shape=(32, 32, 3)):
    return sc.Sequential([sc.Input(shape), *layers])


# --------------------------------------------------------------------------- right rows


def test_a_right_table_scores_one_and_has_no_diagnosis():
    model = textbook.cifar()
    layers = [r for r in model.layers if r.type != "InputLayer"]  # the rows a student fills
    claims = [{"layer": r.name, "output_shape": r.output_shape, "params": r.params}
              for r in layers]
    report = sc.check(model, claims)
    assert report.ok and report.score == 1.0
    assert all(r.diagnosis is None and r.ok for r in report.rows)
    assert report.marks == (2 * len(layers), 2 * len(layers))


def test_a_keras_summary_style_markdown_table_is_read_and_marked():
    table = """
| Layer (type)          | Output Shape         | Param # |
|-----------------------|----------------------|---------|
| conv2d (Conv2D)       | (None, 256, 256, 64) | 1,792   |
| conv2d_1 (Conv2D)     | (None, 256, 256, 64) | 36,928  |
| max_pooling2d (MaxPooling2D) | (None, 128, 128, 64) | 0 |
| batch_normalization (BatchNormalization) | (None, 128, 128, 64) | 128 |
 Total params: 277,569
"""
    report = sc.check(textbook.vgg_style(), table)
    assert [r.ok for r in report.rows] == [True, True, True, False]
    assert report.rows[3].diagnosis == "bn_trainable_only"
    assert report.rows[3].marks[0].ok  # the shape of the BN row is right


def test_a_csv_row_split_at_unquoted_commas_is_put_back_together():
    """``1,792`` and ``(30, 30, 64)`` unquoted split a CSV row into more cells than the
    header: joined again (the count read as 1 and the shape as (30,) before)."""
    model = seq(sc.Conv2D(64, 3), sc.Flatten())
    text = "layer,output_shape,params\nconv2d,(30, 30, 64),1,792\nflatten,57,600,0\n"
    report = sc.check(model, text)
    assert report.ok and report.marks == (4, 4)
    assert [r.claimed["params"].value for r in report.rows] == [1792, 0]


def test_a_csv_row_that_splits_two_ways_is_unreadable_and_says_why():
    model = seq(sc.Flatten(), sc.Dense(1280), shape=(3, 3, 1))
    text = "layer,output_shape,params\nflatten,9,0\ndense,1,280,100\n"  # 1,280 | 100?
    report = sc.check(model, text)
    row = report.rows[1]
    assert row.diagnoses == {"output_shape": "unreadable", "params": "unreadable"}
    assert "4 cells for 3 columns" in row.marks[0].claimed.reason
    assert report.rows[0].ok  # the rest of the table is marked


def test_a_flatten_size_grouped_in_thousands_is_one_size():
    model = seq(sc.Flatten(), shape=(8, 8, 256))
    assert sc.check(model, [{"layer": 0, "output_shape": "16,384"}]).ok
    assert not sc.check(model, [{"layer": 0, "output_shape": "(16,384)"}]).ok


def test_products_of_brackets_and_a_dash_for_none_are_read():
    """``(3*3*3)(64) + 64`` is a product; torchinfo's ``--`` is no parameters, and a dash
    in the shape column is no claim."""
    model = seq(sc.Conv2D(64, 3), sc.MaxPooling2D(2))
    report = sc.check(model, [{"layer": 0, "params": "(3*3*3)(64) + 64"},
                              {"layer": 1, "params": "--", "output_shape": "-"}])
    assert report.ok and report.marks == (2, 2)
    assert not sc.check(model, [{"layer": 0, "params": "-"}]).ok


def test_a_csv_table_is_read_and_positional_rows_follow_the_previous_one():
    csv_text = 'layer,output_shape,params\nconv2d,"(36, 28, 20)",320\n,"(18, 14, 20)",0\n'
    report = sc.check(textbook.free_width(), csv_text)
    assert [r.layer for r in report.rows] == ["conv2d", "max_pooling2d"]
    assert report.ok


# --------------------------------------------------------------------------- each diagnosis


def test_missing_bias():
    assert diagnosis(seq(sc.Conv2D(64, 3)), layer=0, params=3 * 3 * 3 * 64) == "missing_bias"
    assert diagnosis(seq(sc.Flatten(), sc.Dense(10), shape=(4, 4, 2)),
                     layer="dense", params=320) == "missing_bias"


def test_extra_bias():
    assert diagnosis(seq(sc.Conv2D(8, 3, use_bias=False)), layer=0,
                     params=3 * 3 * 3 * 8 + 8) == "extra_bias"


def test_bn_trainable_only():
    model = seq(sc.BatchNormalization(), shape=(8, 8, 64))
    assert diagnosis(model, layer=0, params=128) == "bn_trainable_only"


def test_padding_total_vs_per_side_explicit_and_same():
    # padding 2 on each side: 32 + 2*2 - 5 + 1 = 32; counted once: 32 + 2 - 5 + 1 = 30
    explicit = seq(sc.Conv2D(4, 5, padding=2))
    assert diagnosis(explicit, layer=0, output_shape=(30, 30, 4)) == "padding_total_vs_per_side"
    # 'same' 3x3 pads 1 per side; the total 2 put on each side gives 32 + 4 - 3 + 1 = 34
    same = seq(sc.Conv2D(4, 3, padding="same"))
    assert diagnosis(same, layer=0, output_shape=(34, 34, 4)) == "padding_total_vs_per_side"


def test_no_floor_the_stride_3_size_of_worked_example_a():
    model = textbook.single_convolutions()[2]   # (9, 9, 3), kernel (3, 2), strides (1, 3)
    report = sc.check(model, [{"layer": 0, "output_shape": "(7, 7/3 + 1, 2)"},
                              {"layer": 0, "output_shape": (7, 3.33, 2)},
                              {"layer": 0, "output_shape": (7, 3.3, 2)}])
    assert [r.diagnosis for r in report.rows] == ["no_floor"] * 3
    assert "10/3" in report.rows[1].marks[0].follows
    assert diagnosis(model, layer=0, output_shape=(7, 3.4, 2)) == "unexplained"


def test_ceil_vs_floor_both_ways():
    valid = seq(sc.MaxPooling2D(2), shape=(7, 7, 3))          # floor(7/2) = 3
    assert diagnosis(valid, layer=0, output_shape=(4, 4, 3)) == "ceil_vs_floor"
    same = seq(sc.Conv2D(4, 3, strides=3, padding="same"), shape=(8, 8, 3))  # ceil(8/3) = 3
    assert diagnosis(same, layer=0, output_shape=(2, 2, 4)) == "ceil_vs_floor"


def test_a_number_two_slips_explain_names_both():
    # 'same', 3x3, stride 2 on 7: ceil(7/2) = 4; floor(7/2) = 3 is also (7 + 1 - 3)//2 + 1
    same = seq(sc.Conv2D(4, 3, strides=2, padding="same"), shape=(7, 7, 3))
    mark = sc.check(same, [{"layer": 0, "output_shape": (3, 3, 4)}]).rows[0].marks[0]
    assert mark.diagnosis == "padding_total_vs_per_side" and "ceil_vs_floor" in mark.also


def test_same_as_valid():
    model = seq(sc.Conv2D(16, 5, padding="same"))
    assert diagnosis(model, layer=0, output_shape=(28, 28, 16)) == "same_as_valid"


def test_groups_ignored_alexnet_towers_and_depthwise():
    towers = textbook.alexnet_two_tower_convs()
    conv = towers.layers[3]
    assert conv.params == 5 * 5 * 48 * 256 + 256
    assert diagnosis(towers, layer=conv.name, params=5 * 5 * 96 * 256 + 256) == "groups_ignored"
    depthwise = seq(sc.DepthwiseConv2D(3), shape=(16, 16, 8))
    assert diagnosis(depthwise, layer=0, params=3 * 3 * 8 * 8 + 8) == "groups_ignored"


def alexnet_head():
    """AlexNet after its fifth convolution: 13x13x256 -> pool -> 6x6x256 -> dense 4096."""
    return seq(sc.MaxPooling2D(3, strides=2), sc.Flatten(), sc.Dense(4096), shape=(13, 13, 256))


def test_before_pooling_alexnet_first_dense_layer_from_13_13_128_2():
    model = alexnet_head()
    assert model.get_layer("dense").params == 6 * 6 * 256 * 4096 + 4096
    wrong = 13 * 13 * 128 * 2 * 4096 + 4096
    assert diagnosis(model, layer="dense", params=wrong) == "before_pooling"
    # with the flatten row claimed too, the flatten row is the slip and the dense is carried
    report = sc.check(model, [{"layer": "flatten", "output_shape": 13 * 13 * 128 * 2},
                              {"layer": "dense", "params": wrong}])
    assert [r.diagnosis for r in report.rows] == ["before_pooling", "carried"]
    assert report.score == 0.5 and not report.ok


def test_channels_swapped_shape_and_bias():
    model = seq(sc.Conv2D(64, 3))
    assert diagnosis(model, layer=0, output_shape=(64, 30, 30)) == "channels_swapped"
    assert diagnosis(model, layer=0, params=3 * 3 * 3 * 64 + 3) == "channels_swapped"


def test_kernel_not_squared():
    model = seq(sc.Conv2D(64, 3))
    assert diagnosis(model, layer=0, params=3 * 3 * 64 + 64) == "kernel_not_squared"


def test_kernel_not_squared_explains_a_count_never_a_shape():
    """A 3x1 kernel's output size (30, 32) is not "counted K instead of K*K"."""
    model = seq(sc.Conv2D(8, 3))
    report = sc.check(model, [{"layer": 0, "output_shape": (30, 32, 8)}])
    assert report.rows[0].diagnosis == "unexplained"


def test_groups_ignored_names_a_separable_convolution_counted_as_a_full_one():
    model = seq(sc.SeparableConv2D(32, 3), shape=(16, 16, 8))
    assert model.layers[0].params == 8 * 3 * 3 + 8 * 32 + 32
    assert diagnosis(model, layer=0, params=8 * 3 * 3 * 32 + 32) == "groups_ignored"
    assert "separable" in CATALOGUE["groups_ignored"].explanation


def test_unexplained_is_never_a_guess():
    model = seq(sc.Conv2D(64, 3))
    assert diagnosis(model, layer=0, params=12345) == "unexplained"
    assert diagnosis(model, layer=0, output_shape=(31, 29, 64)) == "unexplained"


# --------------------------------------------------------------------------- carried


def test_one_wrong_padding_makes_every_later_row_carried():
    model = seq(sc.Conv2D(8, 5, padding=2), sc.Conv2D(8, 3), sc.MaxPooling2D(2),
                sc.Flatten(), sc.Dense(10))
    # the student adds the padding once: 30 instead of 32, then works on correctly from 30
    claims = [{"layer": "conv2d", "output_shape": (30, 30, 8)},
              {"layer": "conv2d_1", "output_shape": (28, 28, 8)},
              {"layer": "max_pooling2d", "output_shape": (14, 14, 8)},
              {"layer": "flatten", "output_shape": 14 * 14 * 8},
              {"layer": "dense", "output_shape": 10, "params": 14 * 14 * 8 * 10 + 10}]
    report = sc.check(model, claims)
    assert [r.diagnosis for r in report.rows] == [
        "padding_total_vs_per_side", "carried", "carried", "carried", "carried"]
    assert report.rows[-1].diagnoses == {"params": "carried"}   # its shape (10,) is right
    assert report.marks == (5, 6) and not report.ok


def test_a_new_slip_on_top_of_a_carried_value_is_named():
    model = seq(sc.Conv2D(8, 5, padding=2), sc.Flatten(), sc.Dense(10))
    claims = [{"layer": "conv2d", "output_shape": (30, 30, 8)},
              {"layer": "dense", "params": 30 * 30 * 8 * 10}]   # carried, and no bias
    report = sc.check(model, claims)
    assert [r.diagnosis for r in report.rows] == ["padding_total_vs_per_side", "missing_bias"]


# --------------------------------------------------------------------------- worked examples


def test_the_lenet_table_marked_against_its_own_code():
    table = """| layer | output | params |
|---|---|---|
| conv2d | (62, 62, 6) | 162 |
| max_pooling2d | (31, 31, 6) | 0 |
| conv2d_1 | (28, 28, 16) | 1536 |
| max_pooling2d_1 | (14, 14, 16) | 0 |
| flatten | 3136 | 0 |
"""
    report = sc.check(textbook.lenet_code(), table)
    assert [r.diagnoses for r in report.rows] == [
        {"params": "missing_bias"}, {},
        # the table's second convolution is 4x4 and unbiased, the code's 3x3 and biased:
        # not a slip of the catalogue, so it is not guessed
        {"output_shape": "unexplained", "params": "unexplained"},
        {}, {}]
    # against the model the table describes, it is right
    assert sc.check(textbook.lenet_table(), table).ok


def test_a_row_for_a_layer_the_model_lacks_is_marked_unknown_and_the_rest_is_marked():
    """One unknown name stopped the whole marking (a ClaimError, exit 3, no row marked),
    though an unreadable entry is marked and the rest of the table too."""
    report = sc.check(textbook.free_width(), [{"layer": "conv9", "params": 1},
                                              {"layer": "conv2d", "params": 320}])
    assert [(r.layer, r.type, r.diagnoses) for r in report.rows] == [
        ("conv9", "unknown layer", {"params": "unknown_layer"}), ("conv2d", "Conv2D", {})]
    assert "no layer named 'conv9'. Did you mean 'conv2d'?" in report.rows[0].problem
    assert report.marks == (1, 2) and not report.ok


def test_an_unreadable_entry_is_marked_wrong_and_the_rest_of_the_table_is_marked():
    report = sc.check(textbook.free_width(), [
        {"layer": 0, "params": "lots"},             # a name the model lacks
        {"layer": 0, "params": "a lot"},            # not a number at all
        {"layer": 0, "output_shape": "(36, 2?8, 20)", "params": 320},
        {"layer": "conv2d_1", "output_shape": (16, 12, 40), "params": 7200}])
    marks = [(m.field, m.ok, m.diagnosis) for row in report.rows for m in row.marks]
    assert marks == [("params", False, "unreadable"), ("params", False, "unreadable"),
                     ("output_shape", False, "unreadable"), ("params", True, None),
                     ("output_shape", True, None), ("params", True, None)]
    reasons = [m.claimed.reason for row in report.rows for m in row.marks if not m.ok]
    assert "uses lots, which is not a symbol of model 'free_width' (its symbols: n)" in reasons[0]
    assert "Received: 'a lot'" in reasons[1] and "Received: '2?8'" in reasons[2]
    assert report.marks == (3, 6)
    text = report.to_text()
    assert "claimed a lot  wrong, expected 320  [unreadable]" in text
    assert "why:" in text and "Not readable as a number" in text
    # the rows after an unreadable shape build on the true shape, so they are not "carried"
    assert "carried" not in text


def test_closed_form_claims_are_marked_for_a_model_with_symbols():
    report = sc.check(textbook.free_width(), [{"layer": "dense", "params": "160*n"},
                                              {"layer": "dense", "params": "160*n + n"}])
    assert [r.diagnosis for r in report.rows] == [None, "extra_bias"]
    row = sc.check(textbook.free_width(), [{"layer": 99, "params": 1}]).rows[0]
    assert row.diagnosis == "unknown_layer" and "indices 0 to 8" in row.problem


def test_every_code_used_is_in_the_catalogue_with_an_explanation():
    for code, entry in CATALOGUE.items():
        assert entry.code == code and len(entry.explanation) > 40 and entry.title


def test_the_report_renders_in_every_format_and_its_latex_compiles(tmp_path):
    import re
    import shutil

    from symcnn.render.latex import compile_pdf

    report = sc.check(alexnet_head(), [{"layer": "flatten", "output_shape": 43264},
                                       {"layer": "dense", "params": 43264 * 4096 + 4096}])
    assert "before_pooling" in report.to_markdown() and "before_pooling" in report.to_html()
    assert 'class="carried"' in report.to_html(standalone=True)
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    compile_pdf(report.to_latex(standalone=True), tmp_path, "report")
    log = (tmp_path / "report.log").read_text(encoding="latin-1")
    assert not re.findall(r"Overfull \\hbox \((?:[5-9]|\d\d+)\.?\d*pt", log)
    # long layer names in typewriter type break after their underscores (12.9 pt over)
    named = seq(sc.Conv2D(8, 3, name="conv2d_with_a_long_name"), sc.BatchNormalization(),
                sc.SeparableConv2D(8, 3))
    report = sc.check(named, [{"layer": 0, "params": 216}, {"layer": 1, "params": 16},
                              {"layer": 2, "params": 8 * 9 * 8 + 8}])
    assert [r.diagnosis for r in report.rows] == ["missing_bias", "bn_trainable_only",
                                                  "groups_ignored"]
    compile_pdf(report.to_latex(standalone=True), tmp_path, "named")
    assert "Overfull" not in (tmp_path / "named.log").read_text(encoding="latin-1")


def test_closed_forms_as_students_write_them_are_read():
    """``160n``, ``9n^2`` and ``2(n + 1)`` are the notation of a handwritten table: marked,
    not refused (``160n`` aborted the whole marking)."""
    model = sc.zoo.textbook.free_width()
    report = sc.check(model, [{"layer": "dense", "params": "160n"},
                              {"layer": "conv2d", "params": "320"}])
    assert report.ok
    wrong = sc.check(model, [{"layer": "dense", "params": "16n"}])
    assert not wrong.ok


def test_columns_of_other_quantities_are_not_taken_for_the_output_shape_or_the_count():
    model = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(64, 3, padding="same"),
                           sc.MaxPooling2D(2)])
    inputs_first = ("| Layer | Input shape | Output shape | Param # |\n|---|---|---|---|\n"
                    "| conv2d | (32, 32, 3) | (32, 32, 64) | 1792 |\n"
                    "| max_pooling2d | (32, 32, 64) | (16, 16, 64) | 0 |\n")
    assert sc.check(model, inputs_first).marks == (4, 4)  # the input shapes were marked: 2/4
    per_filter = ("| Layer | Kernel | Output shape | Weights per filter | Params |\n"
                  "|---|---|---|---|---|\n| conv2d | 3x3 | (32, 32, 64) | 27 | 1792 |\n")
    assert sc.check(model, per_filter).marks == (2, 2)


def test_symcnns_own_table_of_a_functional_model_is_marked_right():
    x = sc.Input((32, 32, 3))
    model = sc.Model(x, sc.Dense(10)(sc.Flatten()(sc.Conv2D(8, 3)(x))))
    # its input row ("no layer named 'input_layer'") and **Total params** rows were refused
    report = sc.check(model, model.to_markdown())
    assert report.ok and report.marks == (6, 6)


def test_a_csv_row_far_longer_than_its_header_is_unreadable_at_once():
    """Joining cells is tried only within bounds (the ways to join grow combinatorially)."""
    model = seq(sc.Flatten(), shape=(3, 3, 1))
    report = sc.check(model, "layer,output_shape,params\nflatten," + ",".join(["100"] * 1000))
    assert report.rows[0].diagnoses == {"output_shape": "unreadable", "params": "unreadable"}
    assert len(str(report.rows[0].marks[0].claimed)) <= 80


# --------------------------------------------------------------------------- the model's symbols


def multiplier_conv():
    a = sc.multiplier("a")
    return sc.Sequential([sc.Input((8, 8, 3)),
                          sc.Conv2D(sc.zoo.make_divisible(32 * a, 8), 3, use_bias=False)])


def test_claims_are_read_with_the_models_own_symbols():
    """``a`` in the claim is the model's multiplier (a positive rational), not a new
    positive-integer symbol that merely prints the same: the closed form exactly as symcnn
    prints it was marked wrong and unexplained."""
    model = multiplier_conv()
    assert str(model.layers[0].params) == "27*make_divisible(32*a, 8)"
    report = sc.check(model, [{"layer": "conv2d", "params": "27*make_divisible(32*a, 8)",
                               "output_shape": "(6, 6, make_divisible(32*a, 8))"}])
    assert report.ok
    (a,) = model.free_symbols
    assert report.rows[0].claimed["params"].value.free_symbols == {a}
    wrong = sc.check(model, [{"layer": "conv2d", "params": "27*make_divisible(32*a, 8) + 8"}])
    assert wrong.rows[0].diagnosis == "unexplained"


def test_a_claim_built_with_other_symbols_of_the_same_name_is_read_as_the_models():
    model = multiplier_conv()
    a_as_size = sc.symbols("a")  # a positive integer, unlike the model's multiplier
    claim = {"layer": 0, "params": 27 * sc.zoo.make_divisible(32 * a_as_size, 8)}
    assert sc.check(model, [claim]).ok


@pytest.mark.parametrize("make", [
    multiplier_conv,
    lambda: sc.zoo.mobilenet_v2(alpha=sc.multiplier("a")),
    lambda: sc.zoo.mobilenet_v3_large(alpha=sc.multiplier("a")),
    lambda: sc.zoo.resnet18(width="w"),
    lambda: sc.zoo.densenet121(growth_rate="k"),
    lambda: sc.zoo.efficientnet_b0(width_coefficient="w"),
], ids=["make_divisible", "mobilenet_v2", "mobilenet_v3_large", "resnet18", "densenet121",
        "efficientnet_b0"])
def test_a_models_own_markdown_table_scores_one(make):
    """MobileNet-V2 with a multiplier scored 0.158; EfficientNet-B0 with a symbolic width
    took 378 s, searching diagnoses for every wrongly failed row."""
    model = make()
    report = sc.check(model, model.to_markdown())
    assert report.ok and report.score == 1.0


def test_a_table_of_wrong_rows_of_a_deep_model_is_marked_in_bounded_time():
    """Every count and size of EfficientNet-B0 (symbolic width) one too large: 254 s
    before; the search for a diagnosis is bounded (MAX_VARIANTS recomputations per layer,
    MAX_REPLAYED_LAYERS layers rebuilt to leave a pooling out)."""
    import time

    model = sc.zoo.efficientnet_b0(width_coefficient="w")
    claims = [{"layer": r.name, "params": r.params + 1,
               "output_shape": tuple(s + 1 for s in r.output_shape)}
              for r in model.layers if r.type != "InputLayer"]
    start = time.perf_counter()
    report = sc.check(model, claims)
    assert time.perf_counter() - start < 60
    assert not any(m.ok for r in report.rows for m in r.marks)
    assert {m.diagnosis for r in report.rows for m in r.marks} <= {"unexplained", "carried",
                                                                   "ceil_vs_floor"}
    # ceiling(H/4) + 1 after the student's ceiling(H/2) + 1 is ceiling(ceiling(H/2)/2) + 1,
    # the rounding turned on their own size: the claim equals that working at every size
    names = dict(model.symbols_by_name)
    H, W = names["H"], names["W"]
    for mark in [m for r in report.rows for m in r.marks if m.diagnosis == "ceil_vs_floor"]:
        for step in mark.follows.split("; "):
            axis = {"H_out": 0, "W_out": 1}[step.split(" = ")[0]]
            size = sympy.sympify(step.rsplit(" = ", 1)[1], locals=names)
            claimed = mark.claimed[axis].value
            assert all(claimed.subs({H: h, W: h + 3}) == size.subs({H: h, W: h + 3})
                       for h in range(1, 100))


def test_only_a_symcnn_model_is_marked_and_the_error_says_how_to_get_one():
    with pytest.raises(sc.SymcnnError, match=r"`model` must be a symcnn model.*Received: "
                                             r"model=None"):
        sc.check(None, [])
    require("keras")
    keras_model = seq(sc.Conv2D(4, 3)).to_keras()
    with pytest.raises(sc.SymcnnError, match=r"sc\.from_keras\(model\)"):
        sc.check(keras_model, [])
