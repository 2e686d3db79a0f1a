"""Fuzzing the Python API: arbitrary layer stacks and arguments, valid and invalid.

Every input either works or raises a SymcnnError whose message says what was received.
Never a bare SymPy or Python exception. ``SYMCNN_LONG=1`` runs 5,000 examples per test.
"""

import sympy
from hypothesis import given, settings, strategies as st

import symcnn as sc

from ..conftest import fuzz_examples

n, H = sc.symbols("n H")

nasty = st.one_of(
    st.integers(-3, 9), st.just(0), st.floats(-2, 9), st.just(float("nan")), st.none(), st.booleans(),
    st.sampled_from(["n", "H", "same", "valid", "causal", "", "2*n", "x y", "channels_first"]),
    st.sampled_from([n, 2 * n, n - 3, sympy.Rational(3, 2), sympy.Symbol("free"), sympy.oo,
                     sympy.floor(n / 2)]),
    st.tuples(st.integers(-1, 4), st.integers(-1, 4)),
    st.tuples(st.integers(0, 3)),
    st.lists(st.integers(0, 3), max_size=4),
)

LAYERS = {
    sc.Conv1D: ["filters", "kernel_size", "strides", "padding", "dilation_rate", "groups", "use_bias"],
    sc.Conv2D: ["filters", "kernel_size", "strides", "padding", "dilation_rate", "groups",
                "use_bias", "data_format"],
    sc.DepthwiseConv2D: ["kernel_size", "strides", "padding", "depth_multiplier"],
    sc.SeparableConv2D: ["filters", "kernel_size", "strides", "padding"],
    sc.Conv2DTranspose: ["filters", "kernel_size", "strides", "padding", "output_padding"],
    sc.MaxPooling2D: ["pool_size", "strides", "padding", "data_format"],
    sc.AveragePooling1D: ["pool_size", "strides", "padding"],
    sc.GlobalAveragePooling2D: ["keepdims", "data_format"],
    sc.BatchNormalization: ["axis", "center", "scale"],
    sc.LayerNormalization: ["axis"],
    sc.GroupNormalization: ["groups", "axis"],
    sc.Dense: ["units", "use_bias"],
    sc.Flatten: [],
    sc.Dropout: ["rate"],
    sc.Reshape: ["target_shape"],
    sc.Permute: ["dims"],
    sc.ZeroPadding2D: ["padding"],
    sc.Cropping2D: ["cropping"],
    sc.UpSampling2D: ["size"],
}
REQUIRED = {"filters", "kernel_size", "units", "rate", "target_shape", "dims"}


small = st.one_of(st.integers(1, 4), st.sampled_from(["n", n]))
PLAUSIBLE = {
    "padding": st.one_of(st.sampled_from(["valid", "same"]), st.integers(0, 2)),
    "data_format": st.sampled_from(["channels_last", "channels_first"]),
    "use_bias": st.booleans(), "keepdims": st.booleans(), "center": st.booleans(),
    "scale": st.booleans(), "axis": st.sampled_from([-1, 1, 2]),
    "rate": st.sampled_from([0.0, 0.5]), "target_shape": st.sampled_from([(-1,), (-1, 2), (4, -1)]),
    "dims": st.sampled_from([(1,), (2, 1), (3, 1, 2)]), "cropping": st.integers(0, 1),
    "output_padding": st.sampled_from([None, 0, 1]), "groups": st.sampled_from([1, 2]),
}


def argument(arg):
    plausible = PLAUSIBLE.get(arg, small)
    return st.one_of(plausible, plausible, plausible, nasty)  # three parts plausible, one hostile


@st.composite
def layer_calls(draw):
    cls = draw(st.sampled_from(sorted(LAYERS, key=lambda c: c.__name__)))
    kwargs = {}
    for arg in LAYERS[cls]:
        if arg in REQUIRED or draw(st.booleans()):
            kwargs[arg] = draw(argument(arg))
    return cls, kwargs


valid_shapes = st.lists(st.one_of(st.integers(1, 40), st.sampled_from(["H", "W", n])),
                        min_size=1, max_size=4)
shapes = st.one_of(valid_shapes, valid_shapes, valid_shapes, st.lists(nasty, max_size=4))


def build(shape, calls):
    layers = [sc.Input(tuple(shape))]
    for cls, kwargs in calls:
        layers.append(cls(**kwargs))
    return sc.Sequential(layers)


@settings(max_examples=fuzz_examples(300), database=None)
@given(shape=shapes, calls=st.lists(layer_calls(), min_size=1, max_size=4))
def test_every_input_works_or_raises_a_symcnn_error_that_names_what_it_received(shape, calls):
    try:
        model = build(shape, calls)
    except sc.SymcnnError as err:
        message = str(err)
        assert "Received" in message, message
        assert "Traceback" not in message
        return
    # What builds must be usable: totals, summary, substitution at an admissible point.
    model.summary_text()
    assert model.params.is_integer is not False
    values = {s.name: 40 for s in model.free_symbols}
    try:
        model.subs(**values)
    except sc.SymcnnError as err:
        assert "Received" in str(err)
