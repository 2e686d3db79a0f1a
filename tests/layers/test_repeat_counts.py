"""Repeat with a numeric count: the same numbers as the block written out, at any count.

A block that keeps the shape is checked once and counted ``times`` times, so a count of
``10**12`` answers as fast as a symbol; a block that changes the shape is written out up to
:data:`symcnn.layers.repeat.MAX_LAYER_CALLS` layer calls (the bound of model files) and
refused beyond, never a hang.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn import spec_export
from symcnn.derivation import derive
from symcnn.layers import repeat

H, W, L, B = sc.symbols("H W L B")

#: Layers that keep an (h, w, 8) shape, and layers that change it.
KEEPING = {
    "conv same": lambda: sc.Conv2D(8, 3, padding="same"),
    "conv 5 same no bias": lambda: sc.Conv2D(8, 5, padding="same", use_bias=False),
    "depthwise same": lambda: sc.DepthwiseConv2D(3, padding="same"),
    "batchnorm": lambda: sc.BatchNormalization(),
    "relu": lambda: sc.ReLU(),
    "max pool same stride 1": lambda: sc.MaxPooling2D(3, strides=1, padding="same"),
}
CHANGING = {
    "conv valid": lambda: sc.Conv2D(8, 3),
    "conv stride 2 same": lambda: sc.Conv2D(8, 3, strides=2, padding="same"),
    "max pool 2": lambda: sc.MaxPooling2D(2),
    "avg pool 3 stride 2 same": lambda: sc.AveragePooling2D(3, strides=2, padding="same"),
    "conv 1x1 wider": lambda: sc.Conv2D(12, 1),
}
LAYERS = {**KEEPING, **CHANGING}


def make_block(kind: str, names: tuple, channels: int = 8):
    """A fresh block: one layer, a model of layers in a row, or a residual model."""
    if kind == "layer":
        return LAYERS[names[0]]()
    x = sc.Input(("h", "w", channels))
    y = x
    for name in names:
        y = LAYERS[name]()(y)
    if kind == "residual":
        y = sc.Add()([x, y])
    return sc.Model(x, y)


def build(shape, body):
    """A model of ``shape`` whose body is ``body(x)``, written functionally."""
    x = sc.Input(shape)
    return sc.Model(x, body(x))


blocks = st.one_of(
    st.tuples(st.just("layer"), st.tuples(st.sampled_from(sorted(LAYERS)))),
    st.tuples(st.just("model"), st.lists(st.sampled_from(sorted(LAYERS)), min_size=1,
                                         max_size=3).map(tuple)),
    st.tuples(st.just("residual"), st.lists(st.sampled_from(sorted(KEEPING)), min_size=1,
                                            max_size=3).map(tuple)),
)
shapes = st.one_of(st.tuples(st.integers(1, 40), st.integers(1, 40)).map(lambda hw: (*hw, 8)),
                   st.just((H, W, 8)))


def facts(model) -> dict:
    """Everything a user reads off a model, an error's type where it raises."""
    out = {}
    for name, get in [
        ("shape", lambda: model.output_shape),
        ("params", lambda: (model.trainable_params, model.non_trainable_params)),
        ("macs", lambda: model.macs),
        ("flops", lambda: model.flops),
        ("activation_elements", lambda: model.activation_elements),
        ("constraints", lambda: set(model.constraints)),
        ("training memory", lambda: model.training_memory(batch=B).total),
        ("receptive field", lambda: model.receptive_field),
        ("peak activation elements", lambda: model.peak_activation_elements),
    ]:
        try:
            out[name] = get()
        except sc.SymcnnError as err:
            out[name] = type(err)
    return out


def outcome(make):
    try:
        return facts(make())
    except sc.ShapeError:
        return sc.ShapeError


@settings(max_examples=40)
@given(block=blocks, times=st.integers(1, 6), shape=shapes, skip=st.booleans())
def test_a_numeric_count_gives_the_numbers_of_the_block_written_out(block, times, shape, skip):
    kind, names = block

    def written_out(x):
        y = x
        for _ in range(times):
            y = make_block(kind, names)(y)
        return y

    def repeated(count):
        return lambda x: sc.Repeat(make_block(kind, names), count)(x)

    def around(body):  # the Repeat's input also feeds the output: a skip around it
        return (lambda x: sc.Add()([x, body(x)])) if skip else body

    expected = outcome(lambda: build(shape, around(written_out)))
    if skip and expected is sc.ShapeError:  # the block changes the shape: no skip fits
        return
    assert outcome(lambda: build(shape, around(repeated(times)))) == expected
    try:
        symbolic = build(shape, around(repeated(L)))
    except sc.ShapeError:  # no closed form for this block: the numeric count is the way
        return
    assert outcome(lambda: symbolic.subs(L=times)) == expected


@pytest.mark.parametrize("times", [10**5, 10**12, 2**40])
def test_a_block_that_keeps_the_shape_is_checked_once_whatever_the_count(times):
    checked = []

    class CountedReLU(sc.ReLU):
        def compute(self, input_shapes, check):
            checked.append(input_shapes)
            assert len(checked) <= 3, "the block is checked once per repetition"
            return super().compute(input_shapes, check)

    model = sc.Sequential([sc.Input((8,)), sc.Repeat(CountedReLU(), times)])
    assert model.params == 0 and model.output_shape == (8,)
    assert model.activation_elements == 8 * times
    assert len(checked) <= 3


def test_huge_counts_of_a_residual_block_answer_as_their_closed_form():
    x = sc.Input(("H", "W", 16))
    y = sc.BatchNormalization()(sc.Conv2D(16, 3, padding="same")(x))
    block = sc.Model(x, sc.Add()([x, y]), name="residual")
    symbolic = sc.Sequential([sc.Input(("H", "W", 16)), sc.Repeat(block, L)])
    for count in (10**9, 2**40):
        model = symbolic.subs(L=count)
        assert model.params == symbolic.params.subs(L, count)
        assert model.macs == symbolic.macs.subs(L, count)
        assert model.output_shape == (H, W, 16)
    assert symbolic.subs(L=2**L).subs(L=40).params == symbolic.params.subs(L, 2**40)


def test_a_shape_changing_block_is_written_out_up_to_the_model_file_bound():
    assert repeat.MAX_LAYER_CALLS == spec_export.MAX_LAYER_CALLS == 100_000
    model = sc.Sequential([sc.Input((H, 4)), sc.Repeat(sc.Conv1D(4, 3), 3)])
    assert model.output_shape == (H - 6, 4)
    with pytest.raises(sc.ShapeError) as err:
        sc.Sequential([sc.Input((H, 4)), sc.Repeat(sc.Conv1D(4, 3), 100_001)])
    message = str(err.value)
    assert "Repeat layer 'repeat'" in message
    assert "100,001 repetitions of 'Conv1D'" in message and "more than the 100,000" in message
    assert "Give the count as a symbol" in message
    assert message.endswith("Received: times=100001")
    # a symbolic count substituted with a huge number says the same, not a hang
    symbolic = sc.Sequential([sc.Input((H, 4)), sc.Repeat(sc.Conv1D(4, 3), L)])
    with pytest.raises(sc.ShapeError, match="Give the count as a symbol"):
        symbolic.subs(L=10**9)
    assert symbolic.output_shape[0].subs(L, 10**9) == H - 2 * 10**9


def test_the_bound_counts_the_layer_calls_of_a_block():
    x = sc.Input(("h", 4))
    block = sc.Model(x, sc.ReLU()(sc.Conv1D(4, 3)(sc.Conv1D(4, 1)(x))))  # 3 calls, one pass
    with pytest.raises(sc.ShapeError, match="33,334 repetitions .* 100,002 layer calls"):
        sc.Sequential([sc.Input((H, 4)), sc.Repeat(block, 33_334)])


def test_the_peak_keeps_a_skip_around_the_repeat_alive_through_every_repetition():
    """The block ran once for the peak: its input, still needed by the Add after the
    Repeat, was counted alive next to the first repetition only (768 elements where the
    layers written out reach 1,024 from the second repetition on)."""
    def residual():
        x = sc.Input((8, 8, 4))
        return sc.Model(x, sc.Add()([x, sc.ReLU()(sc.Conv2D(4, 3, padding="same")(x))]))

    def skip_around(body):
        x = sc.Input((8, 8, 4))
        return sc.Model(x, sc.Add()([x, body(x)]))

    def written_out(times):
        def body(x):
            for _ in range(times):
                x = residual()(x)
            return x
        return skip_around(body)

    for times in (1, 2, 5):
        repeated = skip_around(lambda x: sc.Repeat(residual(), times)(x))
        assert repeated.peak_activation_elements == written_out(times).peak_activation_elements
    assert written_out(2).peak_activation_elements == 1024


def test_zero_repetitions_pass_the_input_through_unchecked():
    model = sc.Sequential([sc.Input((2, 2, 3)), sc.Repeat(sc.Conv2D(8, 3), 0)])
    assert model.output_shape == (2, 2, 3)
    assert (model.params, model.macs, model.receptive_field[0].size) == (0, 0, 1)
    assert model.peak_activation_elements == 12


def test_the_derivation_of_written_out_repetitions_adds_them_up():
    """A numeric count of a block that changes the shape read ``T*P_block = 2*448 =
    2,768``: the first repetition's parameters times the count, which is not the total."""
    model = sc.Sequential([sc.Input(("H", "W", 3)), sc.Repeat(sc.Conv2D(16, 3), 2)])
    derivation = derive(model.layers[-1])
    assert str(derivation["params"]) == "params = P_1 + P_2 = 448 + 2320 = 2,768"
    assert any("2 repetitions are applied one after another" in n for n in derivation.notes)
    kept = sc.Sequential([sc.Input(("H", "W", 3)), sc.Repeat(sc.Conv2D(3, 3, padding="same"),
                                                              10**9)])
    assert str(derive(kept.layers[-1])["params"]) == \
        "params = R*P_block = 1000000000*84 = 84,000,000,000"


def test_the_summary_shows_one_row_for_a_repeat_whatever_the_count():
    block = make_block("residual", ("conv same",))
    model = sc.Sequential([sc.Input((H, W, 8)), sc.Repeat(block, 10**9, name="stage")])
    lines = []
    model.summary(print_fn=lines.append, expand_nested=True)
    text = "\n".join(lines)
    assert text.count("stage (Repeat)") == 1 and "conv2d" not in text
    assert "584,000,000,000" in text


def test_the_receptive_field_of_a_huge_numeric_count_is_the_shift_times_the_count():
    """A numeric count walked the block once per repetition (10**9: hours); a block whose
    field is a shift composes as a symbolic count does, equal to the layers written out."""
    x = sc.Input(("H", "W", 4))
    block = sc.Model(x, sc.Add()([x, sc.Conv2D(4, 3, padding="same")(x)]))
    huge = sc.Sequential([sc.Input((64, 64, 4)), sc.Repeat(block, 10**9)])
    assert huge.receptive_field[0].size == 2 * 10**9 + 1
    five = sc.Sequential([sc.Input((64, 64, 4)), sc.Repeat(block, 5)])
    written = sc.Sequential([sc.Input((64, 64, 4))] +
                            [sc.Conv2D(4, 3, padding="same") for _ in range(5)])
    assert five.receptive_field == written.receptive_field
