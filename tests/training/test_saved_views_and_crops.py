"""What identity layers, Keras' ReLU with arguments and crops keep for backward, against the
PyTorch modules ``to_torch`` writes (and ``from_torch`` reads), and Keras 3 on its torch
backend where it keeps the same.

* ``Activation("linear")``, ``Dropout(0)`` and the spatial dropouts at rate 0 return their
  input itself (in Keras and in the export): symcnn counted their output as a new tensor,
  which the layer after it kept (2,400 bytes for PyTorch's 1,600 after a convolution and a
  ReLU at batch 2).
* Keras' ``ReLU`` with ``max_value``, ``negative_slope`` or ``threshold`` is written as
  ``relu``/``leaky_relu``/``threshold``, then ``clamp`` and ``relu(t - x)``: the clamp keeps
  the ReLU's result, a new tensor, and the thresholded leaky ReLU ``relu(t - x)`` too;
  symcnn counted the input alone. ``sc.nn.ReLU6`` (PyTorch's ``hardtanh``) keeps its input.
* A crop of both spatial axes of a channels-last map (``CenterCrop``, ``Cropping2D``, slices)
  is folded by the ``Dense`` after it into a copy of the crop, whatever the map's order in
  memory; symcnn counted the uncropped map (or the model's input) the crop views. PyTorch
  folds a slice of the model's input (which requires no gradient) just the same, which
  symcnn counted as the input itself.

Every figure is PyTorch's, measured with saved-tensor hooks (tests/support/saved_tensors.py)
at batches 1, 2 and 3.
"""

from __future__ import annotations

import itertools

import pytest
import sympy

import symcnn as sc
from symcnn.layers.layout import Cut, reads_cuts
from tests.conftest import require

torch = require("torch")
from torch import nn  # noqa: E402

from tests.support.saved_tensors import KerasTraining, measure  # noqa: E402

B = sc.symbols("B")
BATCHES = (1, 2, 3)


def _closed(model):
    return model.training_memory(batch="B", optimizer="sgd").activations


def _measured(net, shape, batches=BATCHES):
    return [measure(net, torch.randn(batch, *shape))[0] for batch in batches]


def _assert_equal_at_batches(model, net, shape):
    """symcnn's closed form equals what ``net`` keeps at each batch, on inputs of ``shape``
    (without the batch axis, as ``net`` takes them)."""
    closed = _closed(model)
    assert [closed.subs(B, batch) for batch in BATCHES] == _measured(net, shape)


def _keras(model):
    """``model`` built in Keras 3 (torch backend), called in training mode."""
    require("keras")
    return KerasTraining(model.to_keras())


def _channels_first(shape):
    """The input shape ``to_torch`` takes for a channels-last model's input ``shape``."""
    return (shape[-1], *shape[:-1])


# --------------------------------------------------------------------------- identity layers

SPATIAL_DROPOUTS = {1: sc.SpatialDropout1D, 2: sc.SpatialDropout2D, 3: sc.SpatialDropout3D}
#: Layers that return their input itself, given the input's rank (without the batch axis).
IDENTITIES = {
    "linear_activation": lambda rank: sc.Activation("linear"),
    "dropout_at_rate_0": lambda rank: sc.Dropout(0),
    "spatial_dropout_at_rate_0": lambda rank: SPATIAL_DROPOUTS[rank](0),
}
CONVOLUTIONS = {1: sc.Conv1D, 2: sc.Conv2D, 3: sc.Conv3D}
SHAPES = {1: (7, 3), 2: (5, 6, 3), 3: (4, 5, 4, 3)}


def _identity(kind, rank):
    return IDENTITIES[kind](rank)


def _between_relu_and_convolution(middle, rank):
    conv = CONVOLUTIONS[rank]
    return sc.Sequential([sc.Input(SHAPES[rank]), conv(4, 3, padding="same"), sc.ReLU(),
                          *middle, conv(2, 3, padding="same")])


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("kind", sorted(IDENTITIES))
def test_an_identity_layer_keeps_no_new_tensor_as_in_the_export(kind, rank):
    """The convolution after it keeps the ReLU's output, which the ReLU keeps already."""
    model = _between_relu_and_convolution([_identity(kind, rank)], rank)
    _assert_equal_at_batches(model, model.to_torch(), _channels_first(SHAPES[rank]))
    assert _closed(model) == _closed(_between_relu_and_convolution([], rank))


def test_conv_relu_identity_conv_keeps_the_input_and_the_relus_output_only():
    input_and_relu = 2 * 4 * (5 * 6 * 3 + 5 * 6 * 4)  # batch 2, float32
    for layer in (sc.Activation("linear"), sc.Dropout(0), sc.SpatialDropout2D(0)):
        model = _between_relu_and_convolution([layer], 2)
        assert model.training_memory(batch=2).activations == input_and_relu == \
            _measured(model.to_torch(), (3, 5, 6), [2])[0]


@pytest.mark.parametrize("kind", sorted(IDENTITIES))
def test_keras_keeps_nothing_for_an_identity_layer_either(kind):
    """Keras 3 on its torch backend keeps the same with and without the layer."""
    with_it = _between_relu_and_convolution([_identity(kind, 2)], 2)
    without = _between_relu_and_convolution([], 2)
    shape = SHAPES[2]
    assert _measured(_keras(with_it), shape) == _measured(_keras(without), shape)


@pytest.mark.parametrize("layer", [lambda: sc.nn.Dropout(0.0), lambda: sc.nn.Dropout2d(0.0),
                                   lambda: sc.nn.AlphaDropout(0.0), lambda: sc.nn.Identity()],
                         ids=["Dropout", "Dropout2d", "AlphaDropout", "Identity"])
def test_pytorch_named_dropouts_at_p_0_keep_no_new_tensor(layer):
    model = sc.nn.Sequential(sc.nn.Conv2d(3, 4, 3), sc.nn.ReLU(), layer(),
                             sc.nn.Conv2d(4, 2, 3), input_shape=(3, 7, 6))
    _assert_equal_at_batches(model, model.to_torch(), (3, 7, 6))


def test_a_dropout_above_rate_0_still_keeps_its_mask_and_output():
    def model(rate):
        return _between_relu_and_convolution([sc.Dropout(rate)], 2)

    _assert_equal_at_batches(model(0.3), model(0.3).to_torch(), (3, 5, 6))
    mask_and_output = 2 * 4 * 5 * 6 * 4  # two tensors of the ReLU's size, float32
    assert sympy.expand(_closed(model(0.3)) - _closed(model(0))) == mask_and_output * B


@pytest.mark.parametrize("kind", sorted(IDENTITIES))
def test_an_identity_layer_passes_its_inputs_layout_to_a_linear_after_it(kind):
    """A transposed input stays transposed through it: the Linear copies it from batch 2 on."""
    model = sc.nn.Sequential(sc.nn.Linear(5, 6), sc.nn.ReLU(), sc.Permute((2, 1)),
                             _identity(kind, 1), sc.nn.Linear(8, 3), input_shape=(8, 5))
    _assert_equal_at_batches(model, model.to_torch(), (8, 5))
    assert _closed(model) == 192 * B * sympy.Min(1, B - 1) + 352 * B


# -------------------------------------------------------------------- ReLU with arguments

ARGUMENTS = list(itertools.product([None, 6.0, 2.5], [0.0, 0.1], [0.0, 0.5]))

#: Where the ReLU runs on a 5x5x4 input: after a convolution (nothing else keeps its input),
#: after a ReLU (which keeps its input), and before a convolution (which keeps its output).
PLACEMENTS = {
    "after_a_convolution": lambda relu: [sc.Conv2D(4, 1), relu],
    "after_a_relu": lambda relu: [sc.Conv2D(4, 1), sc.ReLU(), relu],
    "before_a_convolution": lambda relu: [sc.Conv2D(4, 1), relu, sc.Conv2D(3, 1)],
}


@pytest.mark.parametrize("placement", sorted(PLACEMENTS))
@pytest.mark.parametrize("max_value,negative_slope,threshold", ARGUMENTS)
def test_a_relu_with_arguments_keeps_what_its_export_keeps(max_value, negative_slope,
                                                           threshold, placement):
    relu = sc.ReLU(max_value=max_value, negative_slope=negative_slope, threshold=threshold)
    model = sc.Sequential([sc.Input((5, 5, 4)), *PLACEMENTS[placement](relu)])
    _assert_equal_at_batches(model, model.to_torch(), (4, 5, 5))


def _added_after_a_relu(layer):
    model = sc.Sequential([sc.Input((5,)), sc.Dense(5), sc.ReLU(), layer])
    return model.training_memory(batch=1, dtype="int8").layers[-1][2]


def test_a_capped_relu_keeps_the_relus_result_and_all_three_arguments_keep_two_tensors():
    """The clamp keeps ``relu(x)``, a new tensor; with a threshold and a slope too,
    ``threshold(x)``'s result and ``relu(t - x)`` besides the input (kept by the ReLU)."""
    assert _added_after_a_relu(sc.ReLU(max_value=6.0)) == 5
    assert _added_after_a_relu(sc.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5)) == 10
    assert [_added_after_a_relu(sc.ReLU(**arguments)) for arguments in (
        {}, {"negative_slope": 0.1}, {"threshold": 0.5})] == [5, 0, 0]


@pytest.mark.parametrize("layer", [lambda: sc.nn.ReLU6(), lambda: sc.nn.Hardtanh(0.0, 6.0)],
                         ids=["ReLU6", "Hardtanh"])
def test_pytorch_relu6_and_hardtanh_still_keep_their_input(layer):
    model = sc.nn.Sequential(sc.nn.Conv2d(4, 4, 1), sc.nn.ReLU(), layer(),
                             sc.nn.Conv2d(4, 3, 1), input_shape=(4, 5, 5))
    _assert_equal_at_batches(model, model.to_torch(), (4, 5, 5))
    assert _added_after_a_relu(layer()) == 0


#: Keras 3 (torch backend) minus symcnn, for ReLU(**arguments) on the 5 outputs of a Dense,
#: straight or after a ReLU: (bytes per example, bytes per call), float32.
#: docs/training-memory.md states that symcnn counts the export, not Keras' own.
KERAS_DIFFERENCE = {
    ((), False): (0, 0),                            # relu: its output, as the export
    ((("negative_slope", 0.1),), True): (0, 0),     # leaky_relu: its input, as the export
    ((("max_value", 6.0),), False): (0, 0),         # relu6 (input) for relu(x): same size
    ((("max_value", 6.0),), True): (-20, 0),        # relu6's input is the ReLU's output
    ((("threshold", 0.5),), False): (-15, 0),       # a 1-byte mask instead of the input
    ((("max_value", 2.5),), False): (0, 8),         # relu(x), and clip's two bounds
    ((("max_value", 2.5), ("negative_slope", 0.1)), True): (20, 8),  # relu(x), relu(-x)
}


@pytest.mark.parametrize("arguments,after_a_relu", sorted(KERAS_DIFFERENCE))
def test_keras_relu_on_torch_differs_from_the_export_where_the_docs_say(arguments,
                                                                        after_a_relu):
    model = sc.Sequential([sc.Input((6,)), sc.Dense(5), *([sc.ReLU()] if after_a_relu else []),
                           sc.ReLU(**dict(arguments))])
    _assert_equal_at_batches(model, model.to_torch(), (6,))
    keras_figures = _measured(_keras(model), (6,))
    per_example, per_call = KERAS_DIFFERENCE[arguments, after_a_relu]
    assert [k - _closed(model).subs(B, b) for b, k in zip(BATCHES, keras_figures)] == \
        [per_example * b + per_call for b in BATCHES]


# --------------------------------------------------------------------------------- crops

IMAGE = (10, 12, 3)


def _image(*layers):
    return sc.Sequential([sc.Input(IMAGE), *layers])


def test_a_dense_on_a_center_crop_of_the_input_keeps_a_copy_of_the_crop():
    model = _image(sc.CenterCrop(6, 6), sc.Dense(2))
    assert _closed(model) == 432 * B
    _assert_equal_at_batches(model, model.to_torch(), _channels_first(IMAGE))
    _assert_equal_at_batches(model, _keras(model), IMAGE)


def test_a_dense_on_a_center_crop_of_a_convolution_keeps_a_copy_of_the_crop():
    model = _image(sc.Conv2D(3, 3), sc.CenterCrop(6, 6), sc.Dense(2))
    assert model.training_memory(batch=2).activations == 3744
    _assert_equal_at_batches(model, model.to_torch(), _channels_first(IMAGE))


#: Crops of a 10x12x3 image or of an 8x10x3 convolution output: both spatial axes (a copy of
#: the crop), the rows only (a copy from batch 2 on), the columns only, one row.
CROPS = {
    "center_crop_both": lambda: [sc.CenterCrop(6, 6)],
    "center_crop_one_row": lambda: [sc.CenterCrop(1, 6)],
    "cropping_both": lambda: [sc.Cropping2D(((1, 1), (2, 2)))],
    "cropping_rows": lambda: [sc.Cropping2D(((1, 1), (0, 0)))],
    "cropping_columns": lambda: [sc.Cropping2D(((0, 0), (1, 2)))],
    "two_croppings": lambda: [sc.Cropping2D(((1, 1), (0, 0))), sc.Cropping2D(((0, 0), (1, 1)))],
}


@pytest.mark.parametrize("before", ["input", "convolution"])
@pytest.mark.parametrize("crop", sorted(CROPS))
def test_a_dense_on_a_crop_keeps_what_the_export_keeps(crop, before):
    head = [] if before == "input" else [sc.Conv2D(3, 3)]
    model = _image(*head, *CROPS[crop](), sc.Dense(2))
    _assert_equal_at_batches(model, model.to_torch(), _channels_first(IMAGE))


@pytest.mark.parametrize("between", ["flatten", "reshape", "dropout_at_rate_0",
                                     "linear_activation", "permute"])
def test_a_crop_of_both_spatial_axes_is_copied_through_views_and_reshapes(between):
    layer = {"flatten": sc.Flatten, "reshape": lambda: sc.Reshape((36, 3)),
             "dropout_at_rate_0": lambda: sc.Dropout(0),
             "linear_activation": lambda: sc.Activation("linear"),
             "permute": lambda: sc.Permute((2, 1, 3))}[between]
    model = _image(sc.Conv2D(3, 3), sc.CenterCrop(6, 6), layer(), sc.Dense(2))
    assert _closed(model) == (1440 + 432) * B  # the input, the copy of the crop
    _assert_equal_at_batches(model, model.to_torch(), _channels_first(IMAGE))


def _seeing(seen, marked):
    """An element-wise layer of one's own that records the input layouts it is given, its
    ``layout_for`` marked to read cuts or not."""

    def layout_for(self, input_layouts, input_shapes, output_shapes):
        seen.append(input_layouts[0])
        return (None,)

    methods = {"saved_for_backward": lambda self, input_shapes, output_shapes: (),
               "layout_for": reads_cuts(layout_for) if marked else layout_for}
    return type("Seeing", (sc.layers.core._Identity,), methods)()


@pytest.mark.parametrize("marked,expected", [(False, None), (True, Cut(frozenset({1, 2})))])
def test_only_layout_methods_marked_to_read_cuts_see_a_crop_of_an_unknown_layout(marked,
                                                                                 expected):
    seen = []
    model = _image(sc.Conv2D(3, 3), sc.CenterCrop(6, 6), _seeing(seen, marked), sc.Dense(2))
    model.training_memory()
    assert seen == [expected]


def test_a_batch_normalization_after_a_crop_of_an_unknown_layout_is_unchanged():
    model = _image(sc.Conv2D(3, 3), sc.CenterCrop(6, 6), sc.BatchNormalization(),
                   sc.Dense(2))
    _assert_equal_at_batches(model, model.to_torch(), _channels_first(IMAGE))


def test_a_cropped_sequence_keeps_a_copy_from_batch_2_on():
    for head in ([], [sc.Conv1D(4, 3)]):
        model = sc.Sequential([sc.Input((10, 3)), *head, sc.Cropping1D((1, 2)), sc.Dense(2)])
        _assert_equal_at_batches(model, model.to_torch(), (3, 10))
        _assert_equal_at_batches(model, _keras(model), (10, 3))


def test_a_symbolic_crop_is_exact_at_every_size_the_dense_sees():
    H, W = sc.symbols("H W")

    def model(h, w):
        return sc.Sequential([sc.Input((h, w, 3)), sc.Conv2D(3, 3),
                              sc.Cropping2D(((1, 1), (2, 2))), sc.Dense(2)])

    closed = _closed(model(H, W))
    for h, w in itertools.product((5, 6, 8), (7, 8, 10)):  # one row or column cut to 1 too
        figures = _measured(model(h, w).to_torch(), (3, h, w))
        assert [closed.subs({H: h, W: w, B: b}) for b in BATCHES] == figures, (h, w)


class _Sliced(nn.Module):
    """Two convolutions concatenated (a layout symcnn does not state), or the input,
    sliced, then a Linear."""

    def __init__(self, index, source, features):
        super().__init__()
        self.index, self.source = index, source
        self.left, self.right = nn.Conv2d(3, 2, 1), nn.Conv2d(3, 2, 1)
        self.linear = nn.Linear(features, 2)

    def forward(self, x):
        y = torch.cat([self.left(x), self.right(x)], 1) if self.source == "concatenation" \
            else x
        return self.linear(y[self.index])


ALL = slice(None)
#: Slices of the model's input (it requires no gradient) or of a concatenation of two
#: convolutions (a layout symcnn does not state: the slice is a ``Cut``); strided slices of
#: the input only (a strided slice of a layout not stated is not stated).
SLICES = {
    "rows_and_columns": ((ALL, ALL, slice(1, 5), slice(2, 6)), ("input", "concatenation")),
    "channels_and_rows": ((ALL, slice(1, 3), slice(1, 5)), ("input", "concatenation")),
    "rows": ((ALL, ALL, slice(1, 5)), ("input", "concatenation")),
    "last_axis": ((ALL, ALL, ALL, slice(1, 5)), ("input", "concatenation")),
    "every_other_row": ((ALL, ALL, slice(None, None, 2)), ("input",)),
    "every_third_row_from_1": ((ALL, slice(1, None), slice(None, None, 3)), ("input",)),
    "every_other_column_of_some_rows": ((ALL, ALL, slice(1, 5), slice(None, None, 2)),
                                        ("input",)),
}


@pytest.mark.parametrize("rows", [6, 7])
@pytest.mark.parametrize("name,source", [(name, source) for name, (_, sources)
                                         in sorted(SLICES.items()) for source in sources])
def test_a_linear_on_a_pytorch_slice_keeps_what_pytorch_keeps(name, source, rows):
    index = SLICES[name][0]
    shape = (3, rows, 8)
    features = torch.zeros(1, *shape)[index].shape[-1]
    net = _Sliced(index, source, features)
    _assert_equal_at_batches(sc.from_torch(net, input_shape=shape), net, shape)


# ------------------------------------------------------- known difference, pinned as documented

def test_a_flatten_of_a_crop_of_the_rows_of_a_channels_last_map_is_a_known_difference():
    """docs/training-memory.md: the export flattens a channels-last map through a copy at
    every batch, which symcnn counts as a view of the map; after a crop of the rows only,
    that view is the uncropped map, where PyTorch keeps the crop's copy."""
    model = _image(sc.Conv2D(3, 3), sc.Cropping2D(((1, 1), (0, 0))), sc.Flatten(), sc.Dense(2))
    theirs = _measured(model.to_torch(), _channels_first(IMAGE))
    uncropped, crop = 8 * 10 * 3, 6 * 10 * 3
    assert [_closed(model).subs(B, b) - t for b, t in zip(BATCHES, theirs)] == \
        [4 * b * (uncropped - crop) for b in BATCHES]
