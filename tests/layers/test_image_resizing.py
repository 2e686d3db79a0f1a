"""Specification of Resizing and CenterCrop: images of ``height x width`` whatever the
input's size (an input smaller than CenterCrop's target is resized, as Keras 3 does), no
weights, no multiply-accumulates, nothing kept for backward, and for CenterCrop's crop a
1-wide window; each fact checked against Keras 3 (torch backend)."""

from __future__ import annotations

import os

import pytest

import symcnn as sc

from ..conftest import require

H, W, B = sc.symbols("H W B")
SIZES = [(1, 1), (3, 4), (4, 3), (6, 6), (7, 2), (9, 10)]
LAYERS = {
    "resizing": lambda: ("Resizing", (4, 3), {}),
    "resizing_nearest_antialias": lambda: ("Resizing", (5, 2),
                                           {"interpolation": "nearest", "antialias": True}),
    "resizing_crop": lambda: ("Resizing", (4, 3), {"crop_to_aspect_ratio": True}),
    "resizing_pad": lambda: ("Resizing", (4, 3), {"pad_to_aspect_ratio": True,
                                                  "fill_value": 2.0}),
    "center_crop": lambda: ("CenterCrop", (4, 3), {}),
    "center_crop_odd": lambda: ("CenterCrop", (3, 5), {}),
}


def _keras_image(keras, h, w, channels_first, kind, args, kwargs):
    shape = (2, h, w) if channels_first else (h, w, 2)
    data_format = "channels_first" if channels_first else "channels_last"
    layer = getattr(keras.layers, kind)(*args, data_format=data_format, **kwargs)
    return keras.Sequential([keras.Input(shape), layer]), shape


@pytest.mark.frameworks
@pytest.mark.parametrize("channels_first", [False, True])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_the_output_is_the_target_size_at_every_input_size_as_in_keras(name, channels_first):
    """A symbolic ``H x W`` input against Keras at sizes below, at and above the target:
    shapes, counts and what Keras computes (its output's shape)."""
    keras = require("keras")
    import numpy as np

    kind, args, kwargs = LAYERS[name]()
    data_format = "channels_first" if channels_first else "channels_last"
    shape = (2, H, W) if channels_first else (H, W, 2)
    ours = sc.Sequential([sc.Input(shape), getattr(sc, kind)(*args, data_format=data_format,
                                                             **kwargs)])
    for h, w in SIZES:
        theirs, numeric = _keras_image(keras, h, w, channels_first, kind, args, kwargs)
        y = keras.ops.convert_to_numpy(theirs(np.ones((1, *numeric), "float32")))
        at = ours.subs(H=h, W=w)
        assert (at.params, at.output_shape) == (theirs.count_params(), y.shape[1:]), (h, w)
        assert tuple(theirs.output_shape[1:]) == y.shape[1:]
    assert ours.constraints == []  # every size is taken


@pytest.mark.parametrize("kind", ["Resizing", "CenterCrop"])
def test_images_of_rank_3_only(kind):
    with pytest.raises(sc.ShapeError, match=r"expects an input of rank 3 \(height, width, "
                                            r"channels"):
        sc.Sequential([sc.Input((5, 4)), getattr(sc, kind)(2, 2)])


@pytest.mark.parametrize("kwargs, message", [
    ({"height": 0}, "`height` must be a positive integer"),
    ({"width": -2}, "`width` must be a positive integer"),
    ({"interpolation": "cubic"}, r"`interpolation` must be one of 'bilinear', 'nearest', "
                                 r"'bicubic', 'lanczos3', 'lanczos5', 'area'\. Did you mean "
                                 r"'bicubic'\?"),
    ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, "only one of"),
    ({"crop_to_aspect_ratio": 1}, "`crop_to_aspect_ratio` must be True or False"),
    ({"fill_mode": "reflect"}, "`fill_mode` must be one of 'constant'"),
    ({"fill_value": "0"}, "`fill_value` must be a number"),
    ({"antialias": None}, "`antialias` must be True or False"),
    ({"data_format": "NHWC"}, "`data_format` must be one of"),
])
def test_resizing_refuses_arguments_keras_refuses_or_misreads(kwargs, message):
    args = {"height": 8, "width": 8, **kwargs}
    with pytest.raises(sc.LayerArgumentError, match=rf"Resizing: {message}.*Received: "):
        sc.Resizing(**args)


def test_a_symbolic_target_size_is_a_size_like_any_other():
    s = sc.symbols("s")
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Resizing(2 * s, "s"), sc.CenterCrop(s, s),
                           sc.Conv2D(8, 3)])
    assert model.output_shape == (s - 2, s - 2, 8)
    assert model.constraints == [s >= 3]
    assert model.subs(s=10).macs == 8 * 8 * 8 * 27


def test_the_derivation_gives_the_target_whatever_the_input():
    record = sc.Sequential([sc.Input((H, W, 3)), sc.Resizing(224, 160)]).layers[0]
    text = str(record.derivation)
    assert "H_out = O_h = 224" in text and "W_out = O_w = 160" in text
    assert "params = 0" in text


def test_resizing_states_no_window_and_ptflops_counts_its_outputs_as_upsampling():
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(4, 3), sc.Resizing(32, 32)])
    assert model.receptive_field is None
    assert sc.costs.flops(model.layers[1], "ptflops") == 32 * 32 * 4


def test_center_crop_is_a_window_only_where_it_crops():
    crop = sc.CenterCrop(4, 3)
    assert crop.crops((9, 6, 2)) is True and crop.crops((3, 6, 2)) is False
    assert crop.crops((H, 6, 2)) is None and crop.crops((H + 4, W + 3, 2)) is True
    assert sc.Sequential([sc.Input((H, W, 2)), crop]).receptive_field is None
    assert sc.Sequential([sc.Input((3, 9, 2)), crop]).receptive_field is None


@pytest.mark.frameworks
@pytest.mark.parametrize("h, w", [(4, 3), (5, 3), (9, 6), (10, 8)])
def test_a_crop_reads_input_position_o_plus_half_the_excess_as_keras_slices(h, w):
    """Brute force on Keras: a ramp through CenterCrop gives, at each output position, the
    input position the stated window names (``input_span``)."""
    keras = require("keras")
    import numpy as np

    theirs = keras.Sequential([keras.Input((h, w, 1)), keras.layers.CenterCrop(4, 3)])
    rows = np.arange(h, dtype="float32")[:, None] * np.ones((1, w), "float32")
    cols = np.ones((h, 1), "float32") * np.arange(w, dtype="float32")[None, :]
    ramp = np.stack([rows, cols])[..., None]  # the row index, then the column index
    out = keras.ops.convert_to_numpy(theirs(ramp))
    ours = sc.Sequential([sc.Input((H, W, 1)), sc.CenterCrop(4, 3)]).subs(H=h, W=w)
    for i in range(4):
        for j in range(3):
            span = sc.receptive.input_span(ours, (i, j))
            read = (int(out[0, i, j, 0]), int(out[1, i, j, 0]))
            assert span == ((read[0], read[0]), (read[1], read[1])), (i, j)


@pytest.mark.frameworks
def test_no_macs_as_the_torch_flop_counter_measures_keras():
    keras = require("keras")
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    theirs = keras.Sequential([keras.Input((6, 5, 3)), keras.layers.Conv2D(4, 1),
                               keras.layers.Resizing(7, 7, interpolation="bicubic"),
                               keras.layers.CenterCrop(9, 4), keras.layers.CenterCrop(3, 3),
                               keras.layers.Conv2D(2, 3)])
    with FlopCounterMode(display=False) as counter:
        theirs(torch.randn(1, 6, 5, 3))
    ours = sc.from_keras(theirs)
    assert [r.macs for r in ours.layers[1:4]] == [0, 0, 0]
    assert 2 * ours.macs == counter.get_total_flops()


MEMORY = {  # layers after sc.Input(shape); a GELU keeps its input, a crop's view or a copy
    "crop": (lambda: [sc.Dense(3), sc.CenterCrop(3, 3), sc.Activation("gelu")], (6, 5, 3)),
    "crop_of_the_whole_input": (lambda: [sc.Dense(3), sc.CenterCrop(6, 5),
                                         sc.Activation("gelu")], (6, 5, 3)),
    "resize_of_a_small_input": (lambda: [sc.Dense(3), sc.CenterCrop(8, 3),
                                         sc.Activation("gelu")], (6, 5, 3)),
    "crop_then_dense": (lambda: [sc.Dense(3), sc.CenterCrop(3, 3), sc.Dense(2)], (6, 5, 3)),
    "crop_then_flatten": (lambda: [sc.Dense(3), sc.CenterCrop(3, 5), sc.Flatten(),
                                   sc.Dense(2)], (6, 5, 3)),
    "crop_channels_first": (lambda: [sc.Dense(5), sc.CenterCrop(3, 3,
                                                                data_format="channels_first"),
                                     sc.Activation("gelu"), sc.Flatten(), sc.Dense(2)],
                            (3, 6, 5)),
    "resizing": (lambda: [sc.Dense(3), sc.Resizing(8, 3), sc.Activation("gelu")], (6, 5, 3)),
    "resizing_padded": (lambda: [sc.Dense(3), sc.Resizing(4, 9, pad_to_aspect_ratio=True),
                                 sc.Dense(2)], (6, 5, 3)),
    "resizing_channels_first": (lambda: [sc.Dense(5), sc.Resizing(
        3, 3, data_format="channels_first"), sc.Activation("gelu"), sc.Flatten(), sc.Dense(2)],
        (3, 6, 5)),
}


@pytest.mark.frameworks
@pytest.mark.parametrize("name", sorted(MEMORY))
def test_they_keep_nothing_and_a_crop_is_a_view_as_a_keras_training_step_measures(name):
    """Keras keeps no tensor for an interpolation or a slice; a crop is a view of its input
    (a layer keeping it keeps the input's storage), a resize a new tensor."""
    if os.environ.get("KERAS_BACKEND") != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    require("keras")
    from ..support.saved_tensors import assert_keras_keeps

    layers, shape = MEMORY[name]
    assert_keras_keeps(sc.Sequential([sc.Input(shape), *layers()]), shape)


@pytest.mark.frameworks
def test_whether_a_symbolic_input_is_cropped_or_resized_is_exact_in_the_memory():
    """On an ``H x W`` input, the view-or-copy of CenterCrop is a closed form in ``H`` and
    ``W``, equal to Keras' training step at sizes below, at and above the target."""
    if os.environ.get("KERAS_BACKEND") != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    require("keras")
    import torch

    from ..support.saved_tensors import KerasTraining, measure

    model = sc.Sequential([sc.Input((H, W, 3)), sc.Dense(3), sc.CenterCrop(3, 4),
                           sc.Activation("gelu")])
    closed = model.training_memory(batch=B).activations
    for h, w in [(1, 6), (2, 4), (3, 3), (3, 4), (5, 4), (4, 7), (6, 2)]:
        at = model.subs(H=h, W=w)
        twin = KerasTraining(at.to_keras())
        for batch in (1, 2):
            want = measure(twin, torch.randn(batch, h, w, 3))[0]
            assert closed.subs({H: h, W: w, B: batch}) == want, (h, w, batch)
            assert at.training_memory(batch=batch).activations == want


def test_a_model_file_keeps_the_arguments_and_a_symbolic_target():
    s = sc.symbols("s")
    model = sc.Sequential([sc.Input((H, W, 3)),
                           sc.Resizing(2 * s, s, interpolation="nearest", antialias=True),
                           sc.CenterCrop(s, s, data_format="channels_last")])
    spec = sc.model_to_spec(model)
    assert spec["layers"] == [
        {"Resizing": {"height": "2*s", "width": "s", "interpolation": "nearest",
                      "antialias": True}},
        {"CenterCrop": {"height": "s", "width": "s"}}]
    again = sc.model_from_spec(spec)
    assert again.output_shape == (s, s, 3) and again.layers[0].layer.antialias is True
