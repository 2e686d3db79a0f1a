"""model.to_torch() and model.to_keras() build real framework models with symcnn's shapes and
counts, and importing them back gives the same counts and shapes again.

Random numeric models (``tests/support/random_models.py``: every layer family, explicit and
asymmetric paddings, ``ceil_mode``, transposed convolutions, residual and concatenating
branches, frozen layers, and what the exports write as several operations: ``ReLU`` with
``max_value``/``threshold``/``negative_slope``, every exported Keras activation,
``Elementwise`` and ``Maximum``/``Minimum``, ``LSTM`` reading forwards or backwards) are
exported; the framework model's own counts and a real forward pass (PyTorch) or its declared
output shape (Keras) are compared with symcnn's, and so is the model imported back by
``from_torch``/``from_keras`` (and its MACs, from PyTorch); the model ``from_torch`` reads
back, exported again, is the export (its state dict and outputs). The random Keras and
PyTorch models of ``tests/crosscheck`` are imported and exported to the other framework the same way. A few
conversions have no framework equivalent (batch norm off the channel axis, ...); they must be refused with a ConversionError that
names the reason.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn import nn
from symcnn.layers.spatial import SpatialLayer
from symcnn.zoo import textbook

from ..conftest import require
from ..support.keras_build import build_keras
from ..support.random_models import random_models

pytestmark = pytest.mark.frameworks

RELAXED = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])
#: Reasons a conversion may be refused (each has no equivalent in the framework).
TORCH_REFUSALS = ("center and scale differ", "center without scale", "center != scale",
                  "asymmetric explicit padding on a transposed", "ceil_mode with asymmetric",
                  "AvgPool3d refuses")
KERAS_REFUSALS = ("output_padding >= stride", "asymmetric padding on a transposed",
                  "` has no Keras equivalent for",  # an argument; the header names any
                  "ceil_mode=True with a last window that runs past the padded input")


def channels_first(shape):
    """A channels-last symcnn shape as PyTorch holds it."""
    shape = tuple(int(d) for d in shape)
    return shape if len(shape) < 2 else (shape[-1], *shape[:-1])


def keras_counts(model):
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return model.count_params(), trainable


def export_or_refuse(export, model, refusals):
    try:
        return export(model)
    except sc.ConversionError as err:
        assert any(reason in str(err) for reason in refusals), str(err)
        assume(False)


@settings(max_examples=40, **RELAXED)
@given(model=random_models(symbolic=False, exports=True))
def test_to_torch_has_the_same_counts_and_shapes_and_from_torch_gives_them_back(model):
    torch = require("torch")
    net = export_or_refuse(lambda m: m.to_torch(), model, TORCH_REFUSALS)
    assert sum(p.numel() for p in net.parameters() if p.requires_grad) == model.trainable_params
    running = sum(b.numel() for n, b in net.named_buffers() if ".running_" in f".{n}")
    assert sum(p.numel() for p in net.parameters()) + running == model.params
    x = torch.zeros(2, *channels_first(model.input_shape))
    net.eval()
    with torch.no_grad():
        out = net(x)
    assert tuple(out.shape[1:]) == channels_first(model.output_shape)
    back = sc.from_torch(net, input_shape=channels_first(model.input_shape))
    assert (back.params, back.trainable_params) == (model.params, model.trainable_params)
    assert back.output_shape == channels_first(model.output_shape)
    assert back.macs == model.macs


@settings(max_examples=40, **RELAXED)
@given(model=random_models(symbolic=False, exports=True))
def test_what_from_torch_reads_back_exports_again_as_the_same_module(model):
    """``from_torch(m.to_torch()).to_torch()`` takes the export's state dict (names and
    shapes) and, on its values, computes its outputs. A separable convolution read back as
    two convolutions, an LSTM going backwards (its ``torch.flip`` refused) and a model whose
    layers read back stated no layout (exported channels last) did not."""
    torch = require("torch")
    net = export_or_refuse(lambda m: m.to_torch(), model, TORCH_REFUSALS)
    shape = channels_first(model.input_shape)
    again = sc.from_torch(net, input_shape=shape).to_torch()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=generator))
    again.load_state_dict(net.state_dict())
    x = torch.randn(2, *shape, generator=generator)
    with torch.no_grad():
        torch.testing.assert_close(again.eval()(x), net.eval()(x), rtol=1e-4, atol=1e-4,
                                   equal_nan=True)


@settings(max_examples=25, **RELAXED)
@given(model=random_models(symbolic=False, exports=True))
def test_to_keras_has_the_same_counts_and_shapes_and_from_keras_gives_them_back(model):
    require("keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = export_or_refuse(lambda m: m.to_keras(), model, KERAS_REFUSALS)
    assert keras_counts(k) == (model.params, model.trainable_params)
    assert tuple(k.output_shape[1:]) == model.output_shape
    for back in (sc.from_keras(k), sc.from_keras(k.to_json())):
        assert (back.params, back.trainable_params) == (model.params, model.trainable_params)
        assert back.output_shape == model.output_shape


PYTORCH_STYLE = [
    lambda: nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, padding=(1, 2)), nn.BatchNorm2d(8), nn.ReLU(),
        nn.MaxPool2d(3, 2, 1, ceil_mode=True),
        nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1),
        nn.AdaptiveAvgPool2d((2, None)), nn.Flatten(), nn.Linear(128, 5), nn.Softmax(dim=1),
        input_shape=(3, 27, 27)),
    lambda: nn.Sequential(
        nn.Conv1d(4, 8, 5, padding=2), nn.GroupNorm(2, 8), nn.GELU(), nn.AvgPool1d(2, ceil_mode=True),
        nn.Dropout(0.1), nn.Flatten(), nn.Linear(8 * 11, 3), input_shape=(4, 21)),
]


@pytest.mark.parametrize("build", PYTORCH_STYLE)
def test_pytorch_named_models_export_to_both_frameworks(build):
    torch = require("torch")
    require("keras")
    model = build()
    net = model.to_torch()
    assert sum(p.numel() for p in net.parameters()) == model.trainable_params
    with torch.no_grad():
        assert tuple(net.eval()(torch.zeros(1, *model.input_shape)).shape[1:]) == model.output_shape
    k = model.to_keras()
    assert keras_counts(k) == (model.params, model.trainable_params)
    assert tuple(k.output_shape[1:]) == model.output_shape


def test_worked_examples_survive_both_round_trips():
    require("torch")
    require("keras")
    for model in (textbook.cifar(), textbook.lenet_code(), textbook.vgg_style(),
                  textbook.alexnet_two_tower_convs(), textbook.free_width().subs(n=10)):
        via_keras = sc.from_keras(model.to_keras())
        via_torch = sc.from_torch(model.to_torch(), input_shape=channels_first(model.input_shape))
        for back in (via_keras, via_torch):
            assert (back.params, back.trainable_params) == (model.params, model.trainable_params)
        assert via_keras.output_shape == model.output_shape
        assert [r.output_shape for r in via_keras.layers] == [r.output_shape for r in model.layers]
        assert via_torch.output_shape == channels_first(model.output_shape)


def test_exports_need_numbers_and_name_the_symbols():
    model = textbook.free_width()
    for export in (model.to_keras, model.to_torch):
        with pytest.raises(sc.ConversionError, match=r"symbols n\. Substitute them first: "
                                                     r"model\.subs\(n=\.\.\.\)"):
            export()


def test_an_exported_torch_model_trains():
    torch = require("torch")
    model = textbook.lenet_code(input_shape=(16, 16, 3))
    net = model.to_torch()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    x, y = torch.randn(8, 3, 16, 16), torch.randint(0, 10, (8,))
    before = [p.detach().clone() for p in net.parameters()]
    loss = torch.nn.functional.nll_loss(torch.log(net(x)), y)
    loss.backward()
    optimizer.step()
    assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))


def test_shared_layers_share_weights_in_both_frameworks():
    require("torch")
    require("keras")
    x = sc.Input((8, 8, 4))
    shared = sc.Conv2D(4, 3, padding="same", name="shared")
    model = sc.Model(x, sc.Add()([shared(x), shared(shared(x))]))
    net = model.to_torch()
    assert sum(p.numel() for p in net.parameters()) == model.params == 148
    assert model.to_keras().count_params() == 148


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@settings(max_examples=60, **RELAXED)
@given(spec=st.deferred(lambda: _torch_specs()))
def test_pytorch_models_imported_then_exported_to_keras_keep_counts_and_shapes(spec):
    require("keras")
    from ..crosscheck.torch_specs import build_torch

    model = sc.from_torch(build_torch(spec), input_shape=spec["input"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = export_or_refuse(lambda m: m.to_keras(), model,
                             KERAS_REFUSALS + ("Keras refuses", "channels-first 1D",
                                               "dilated max pooling", "Keras' UpSampling1D"))
    assert keras_counts(k) == (model.params, model.trainable_params)
    ours = model.output_shape if isinstance(model.output_shape, list) else [model.output_shape]
    theirs = k.output_shape if isinstance(k.output_shape, list) else [k.output_shape]
    assert [tuple(s[1:]) for s in theirs] == ours


def _torch_specs():
    from ..crosscheck.torch_specs import torch_models

    return torch_models()


@settings(max_examples=60, **RELAXED)
@given(spec=st.deferred(lambda: _keras_specs()))
def test_keras_models_imported_then_exported_to_torch_keep_counts_and_shapes(spec):
    torch = require("torch")
    keras = require("keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sc.from_keras(build_keras(keras, spec).to_json())
    net = export_or_refuse(lambda m: m.to_torch(), model, TORCH_REFUSALS + (
        "batch normalization over axis", "layer normalization over axes",
        "group normalization off the channel axis"))
    assert sum(p.numel() for p in net.parameters() if p.requires_grad) == model.trainable_params
    running = sum(b.numel() for n, b in net.named_buffers() if ".running_" in f".{n}")
    assert sum(p.numel() for p in net.parameters()) + running == model.params
    formats = {r.layer.data_format for r in model.layers if isinstance(r.layer, SpatialLayer)}
    channels_last = "channels_last" in formats or "channels_first" not in formats
    layout = channels_first if channels_last else (lambda s: tuple(int(d) for d in s))
    with torch.no_grad():
        out = net.eval()(torch.zeros(2, *layout(model.input_shape)))
    outs = out if isinstance(out, tuple) else (out,)
    ours = model.output_shape if isinstance(model.output_shape, list) else [model.output_shape]
    assert [tuple(t.shape[1:]) for t in outs] == [layout(s) for s in ours]


def _keras_specs():
    from ..crosscheck.keras_specs import keras_models

    return keras_models()


@pytest.mark.parametrize("export, framework, layer", [
    ("to_torch", "PyTorch", lambda: sc.EinsumDense("abc,cd->abd", output_shape=(16, 4))),
    ("to_keras", "Keras", lambda: sc.ClassToken()),  # Keras has no class token layer
])
def test_an_export_refusal_says_the_framework_lacks_the_operation(export, framework, layer):
    model = sc.Sequential([sc.Input((16, 8)), layer()])
    kind = type(model.layers[-1].layer).__name__
    with pytest.raises(sc.ConversionError, match=rf"model\.{export}: 1 operation has no "
                                                 rf"{framework} equivalent:\n  - .*{kind}"):
        getattr(model, export)()


@pytest.mark.parametrize("layer", [lambda: sc.Cropping1D((1, 3)), lambda: sc.UpSampling1D(3),
                                   lambda: sc.ZeroPadding1D(2)])
def test_one_dimensional_resizing_layers_export_to_keras(layer):
    require("keras")
    model = sc.Sequential([sc.Input((11, 4)), sc.Conv1D(6, 3), layer(), sc.Conv1D(2, 2)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = model.to_keras()  # Cropping1D and UpSampling1D were refused (their data_format)
    out = k(np.zeros((1, 11, 4), dtype="float32"))
    assert tuple(out.shape[1:]) == model.output_shape
    assert keras_counts(k) == (model.params, model.trainable_params)
    assert sc.from_keras(k).output_shape == model.output_shape


@pytest.mark.parametrize("shape, layer", [((5, 3), sc.SpatialDropout1D),
                                          ((5, 4, 3), sc.SpatialDropout2D),
                                          ((4, 4, 4, 3), sc.SpatialDropout3D)])
def test_spatial_dropout_exports_to_keras_whose_constructor_takes_no_trainable(shape, layer):
    require("keras")
    model = sc.Sequential([sc.Input(shape), sc.Dense(3), layer(0.2, trainable=False)])
    k = model.to_keras()  # was always refused: Keras' SpatialDropout has no `trainable`
    assert type(k.layers[-1]).__name__ == layer.__name__ and not k.layers[-1].trainable
    assert tuple(k.output_shape[1:]) == model.output_shape
    assert sc.from_keras(k).output_shape == model.output_shape


def test_spatial_dropout_after_a_channels_last_layer_drops_whole_channels_in_torch():
    torch = require("torch")
    model = sc.Sequential([sc.Input((6, 5, 4)), sc.LayerNormalization(), sc.SpatialDropout2D(0.5)])
    net = model.to_torch().train()  # nn.Dropout2d ran on (B, H, W, C): it dropped rows
    torch.manual_seed(0)
    for _ in range(5):
        y = net(torch.randn(2, 4, 6, 5) + 10)
        for b in range(2):
            for c in range(4):
                zeros = (y[b, c] == 0).sum().item()
                assert zeros in (0, 6 * 5)  # a channel is dropped whole or kept whole


@pytest.mark.parametrize("upsample, shape, message", [
    (lambda: nn.Upsample(scale_factor=1.5), (3, 6, 6),
     r"an Upsample of 2 spatial axes from \(6, 6\) to \(9, 9\) \(Keras' UpSampling2D repeats"),
    (lambda: nn.Upsample(size=(7, 12)), (3, 6, 6),
     r"an Upsample of 2 spatial axes from \(6, 6\) to \(7, 12\) \(Keras' UpSampling2D"),
    (lambda: nn.Upsample(scale_factor=1.5), (3, 4, 4, 4),
     r"an Upsample of 3 spatial axes .* \(Keras' UpSampling3D repeats"),
    (lambda: nn.Upsample(scale_factor=2), (3, 6),
     r"an Upsample of 1 spatial axis \(Keras' UpSampling1D takes channels-last input only"),
    (lambda: nn.Upsample(scale_factor=2, mode="bicubic"), (3, 6, 6),
     r"an Upsample with mode='bicubic' \(Keras' UpSampling2D interpolates"),
    (lambda: nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True), (3, 6, 6),
     r"mode='bilinear', align_corners=True"),
    (lambda: nn.Upsample(scale_factor=2, mode="trilinear"), (3, 4, 4, 4),
     r"mode='trilinear' \(Keras' UpSampling3D interpolates as PyTorch does for 'nearest', "
     r"'nearest-exact' and 'area' only; it has no interpolation argument"),
])
def test_upsample_refusals_name_the_keras_layer_and_the_reason(upsample, shape, message):
    """A 2D Upsample by 1.5 was refused as "not 2D or 3D ... (Keras' UpSampling1D is channels
    last only)": the message named the 1D layer for a 2D one."""
    require("keras")
    model = nn.Sequential(upsample(), input_shape=shape)
    with pytest.raises(sc.ConversionError, match=message) as err:
        model.to_keras()
    if len(shape) > 2:
        assert "1D" not in str(err.value)


def test_interpolation_modes_survive_both_exports_with_the_same_values():
    """nn.Upsample(mode="bilinear").to_keras() and UpSampling2D(interpolation="bilinear")
    .to_torch() became nearest-neighbour: the same shapes, other values."""
    torch = require("torch")
    require("keras")
    x = torch.randn(1, 3, 5, 7)
    up = torch.nn.Upsample(scale_factor=2, mode="bilinear")
    keras_model = nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear"),
                                input_shape=(3, 5, 7)).to_keras()
    assert np.allclose(np.asarray(keras_model(x).detach()), up(x).numpy(), atol=1e-6)
    torch_model = sc.Sequential([sc.Input((5, 7, 3)), sc.UpSampling2D(2, interpolation="bilinear")])
    assert torch.allclose(torch_model.to_torch()(x), up(x), atol=1e-6)
    bicubic = sc.Sequential([sc.Input((5, 7, 3)), sc.UpSampling2D(2, interpolation="bicubic")])
    with pytest.raises(sc.ConversionError, match=r"interpolation='bicubic'"):
        bicubic.to_torch()


@pytest.mark.parametrize("mode", ["reflect", "circular", "replicate"])
def test_a_padding_mode_keras_lacks_is_refused_not_made_zeros(mode):
    """Conv2d(padding_mode="reflect").to_keras() became a zero-padded Conv2D: the same
    shapes and counts, other values at the border."""
    require("keras")
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, padding_mode=mode), input_shape=(3, 8, 8))
    with pytest.raises(sc.ConversionError, match=rf"padding_mode='{mode}' \(Keras convolutions "
                                                 rf"pad with zeros only"):
        model.to_keras()


@pytest.mark.parametrize("nested", [False, True])
def test_a_frozen_attention_layer_stays_frozen_in_keras(nested):
    """Keras 3 freezes the weights a layer builds later only when ``trainable`` is set after
    building: ``MultiHeadAttention(trainable=False)`` kept its 8 projections trainable."""
    require("keras")
    x = sc.Input((5, 8))
    frozen = sc.Model(x, sc.MultiHeadAttention(num_heads=2, key_dim=4, trainable=False)(x, x),
                      name="frozen")
    model = sc.Sequential([sc.Input((5, 8)), frozen, sc.Dense(3)]) if nested else frozen
    exported = model.to_keras()
    trainable = sum(int(np.prod(w.shape)) for w in exported.trainable_weights)
    frozen_count = sum(int(np.prod(w.shape)) for w in exported.non_trainable_weights)
    assert (trainable, frozen_count) == (model.trainable_params, model.non_trainable_params)
