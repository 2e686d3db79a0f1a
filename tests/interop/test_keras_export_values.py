"""model.to_keras() computes what PyTorch computes: padding, upsampling and the arguments
that change values only.

Each rule is checked against the frameworks themselves, not against typed-in numbers: Keras'
own ``padding="same"`` layer and PyTorch's explicitly padded one are run on the same weights
and input, and the export must use ``same`` exactly where those two agree (otherwise a
``ZeroPadding`` layer, with PyTorch's values, or a refusal that says why). Zoo models are
exported at several sizes and run against their ``to_torch()`` export with the same weights.
"""

import re

import numpy as np
import pytest

import symcnn as sc
from symcnn import nn, zoo

from ..conftest import require

pytestmark = pytest.mark.frameworks


def _close(a, b, atol=1e-5) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.allclose(a, b, atol=atol, rtol=1e-5)


def _numpy(y):
    return np.asarray(y.detach().cpu() if hasattr(y, "detach") else y)


def _set_conv(keras_layer, torch_conv):
    """Give a Keras convolution (any data format) a PyTorch convolution's weights."""
    w = torch_conv.weight.detach().numpy()
    keras_layer.set_weights([np.transpose(w, (2, 3, 1, 0)), torch_conv.bias.detach().numpy()])


def _keras_to_torch(keras_model, torch_model, prefix: str = "") -> None:
    """Copy every Keras weight into the PyTorch module of the same name (channels-last
    kernels moved to PyTorch's layout); a nested model's layers are under its name."""
    modules = {re.sub(r"\W", "_", n): m for n, m in torch_model.named_modules() if n}
    for layer in keras_model.layers:
        weights = [np.asarray(w) for w in layer.get_weights()]
        if not weights:
            continue
        if hasattr(layer, "layers"):  # a nested model
            _keras_to_torch(layer, torch_model, prefix=f"{prefix}{layer.name}.")
            continue
        module = modules[re.sub(r"\W", "_", prefix + layer.name)]
        kind = type(layer).__name__
        if kind.startswith("DepthwiseConv"):  # (*k, C, m) -> (C*m, 1, *k)
            kernel = weights[0].reshape(weights[0].shape[:-2] + (-1,))
            weights[0] = np.moveaxis(kernel, -1, 0)[:, None]
            names = ["weight", "bias"]
        elif kind.startswith("Conv"):
            n = weights[0].ndim
            weights[0] = np.transpose(weights[0], (n - 1, n - 2, *range(n - 2)))
            names = ["weight", "bias"]
        elif kind == "Dense":
            weights[0], names = weights[0].T, ["weight", "bias"]
        elif kind == "BatchNormalization":
            names = (["weight"] if layer.scale else []) + (["bias"] if layer.center else []) \
                + ["running_mean", "running_var"]
        elif kind == "LayerNormalization":
            names = (["weight"] if layer.scale else []) + (["bias"] if layer.center else [])
        elif kind == "LayerScale":  # Keras' (C,) factors, on the channel dim in PyTorch
            state = module.state_dict()
            weights, names = [weights[0].reshape(tuple(state["weight"].shape))], ["weight"]
        else:
            raise AssertionError(f"no weight mapping for {kind}")
        state = module.state_dict()
        for name, value in zip(names, weights):
            assert tuple(state[name].shape) == value.shape, (layer.name, name)
            state[name] = __import__("torch").tensor(value)
        module.load_state_dict(state)


def _randomize_statistics(keras_model, seed=0) -> None:
    """Batch-norm statistics and scales away from Keras' initial ones, so that epsilon
    matters (a variance near 0.03 against epsilon 1e-5 or 1e-3) and deep models stay tame."""
    rng = np.random.default_rng(seed)
    ranges = {"gamma": (0.1, 0.2), "beta": (-0.1, 0.1), "moving_mean": (-0.1, 0.1),
              "moving_variance": (0.01, 0.05)}
    for layer in keras_model.layers:
        if type(layer).__name__ == "BatchNormalization":
            layer.set_weights([rng.uniform(*ranges[v.name], v.shape).astype("float32")
                               for v in layer.weights])


def _pads(keras_model) -> list:
    return [layer.name for layer in keras_model.layers if "ZeroPadding" in type(layer).__name__]


# ---------------------------------------------------------------- same padding, convolutions

CONV_CASES = [(k, s, d, p) for k in (1, 2, 3, 4, 5) for s in (1, 2, 3) for d in (1, 2)
              for p in (0, 1, 2, 3) if s == 1 or d == 1]  # Keras refuses strides with dilation


@pytest.mark.parametrize("size", [(9, 9), (8, 9), (10, 7)])
def test_a_convolution_exports_as_same_exactly_where_keras_same_gives_pytorchs_values(size):
    """Keras' "same" pads (total)//2 before and the rest after, the total making ceiling(i/s)
    windows fit: with stride 1 that is PyTorch's padding=(k_eff - 1)/2 at every size; with
    stride 2 and 3 only at some sizes (k=3, s=2, p=1: odd ones). The export used a
    ZeroPadding layer for every stride over 1, also where Keras' "same" is the same."""
    torch = require("torch")
    keras = require("keras")
    torch.manual_seed(0)
    x = torch.randn(2, 2, *size)
    same_count = 0
    for k, s, d, p in CONV_CASES:
        conv = torch.nn.Conv2d(2, 3, k, s, p, d)
        if any(i + 2 * p - d * (k - 1) < 1 for i in size):
            continue
        expected = _numpy(conv(x))
        reference = keras.layers.Conv2D(3, k, s, padding="same", dilation_rate=d,
                                        data_format="channels_first")
        reference.build((None, 2, *size))
        _set_conv(reference, conv)
        keras_same_agrees = _close(_numpy(reference(x)), expected)

        model = nn.Sequential(nn.Conv2d(2, 3, k, s, p, d, name="conv"), input_shape=(2, *size))
        exported = model.to_keras()
        _set_conv(exported.get_layer("conv"), conv)
        where = f"Conv2d({k}, stride={s}, padding={p}, dilation={d}) on {size}"
        assert _close(_numpy(exported(x)), expected), where
        assert exported.count_params() == model.params, where
        assert tuple(exported.output_shape[1:]) == model.output_shape, where
        if p > 0:
            assert (exported.get_layer("conv").padding == "same") == keras_same_agrees, where
            assert bool(_pads(exported)) == (not keras_same_agrees), where
            same_count += keras_same_agrees
    assert same_count > 0


# ------------------------------------------------------------------- same padding, pooling

POOL_CASES = [(kind, k, s, p, ceil, include) for kind in ("Max", "Avg") for k in (1, 2, 3, 4)
              for s in (1, 2, 3) for p in range(k // 2 + 1) for ceil in (False, True)
              for include in ((True,) if kind == "Max" else (True, False))]


@pytest.mark.parametrize("size", [(7, 8), (9, 9)])
def test_a_pooling_exports_as_same_exactly_where_keras_same_gives_pytorchs_values(size):
    """Keras' "same" pooling leaves the padding out (max: never chosen; average: not
    counted), as PyTorch's max pooling and its count_include_pad=False do. So "same" where
    Keras' windows are PyTorch's and the averages divide alike; otherwise ZeroPadding (the
    same averages with count_include_pad; the same maxima on inputs that are not negative)
    or a refusal. The export made AvgPool2d(3, 1, 1) "same" (dividing border windows by 4
    and 6, not PyTorch's 9), and count_include_pad=False a ZeroPadding (dividing by 9)."""
    torch = require("torch")
    keras = require("keras")
    torch.manual_seed(0)
    x = torch.randn(2, 2, *size)
    for kind, k, s, p, ceil, include in POOL_CASES:
        extra = {} if kind == "Max" else {"count_include_pad": include}
        pool = getattr(torch.nn, f"{kind}Pool2d")(k, s, p, ceil_mode=ceil, **extra)
        try:
            expected = _numpy(pool(x))
        except RuntimeError:  # an empty output, which PyTorch refuses
            continue
        keras_kind = "MaxPooling2D" if kind == "Max" else "AveragePooling2D"
        reference = getattr(keras.layers, keras_kind)(k, s, padding="same",
                                                      data_format="channels_first")
        keras_same_agrees = _close(_numpy(reference(x)), expected)

        layer = getattr(nn, f"{kind}Pool2d")(k, s, p, ceil_mode=ceil, name="pool", **extra)
        model = nn.Sequential(layer, input_shape=(2, *size))
        where = f"{kind}Pool2d({k}, {s}, {p}, ceil_mode={ceil}, {extra}) on {size}"
        padded = p > 0 or any(o > (i + 2 * p - k) // s + 1
                              for i, o in zip(size, model.output_shape[1:]))
        try:
            exported = model.to_keras()
        except sc.ConversionError as err:  # only where Keras has no layer with these values
            assert kind == "Avg" and not keras_same_agrees, where
            assert "(AvgPool2d)" in str(err) and ("count_include_pad=False" in str(err)
                                                  or "ceil_mode=True" in str(err)), where
            continue
        assert tuple(exported.output_shape[1:]) == model.output_shape, where
        if not padded:
            assert exported.get_layer("pool").padding == "valid" and not _pads(exported), where
            continue
        uses_same = exported.get_layer("pool").padding == "same"
        assert uses_same == keras_same_agrees, where
        assert bool(_pads(exported)) == (not uses_same), where
        seen = x if uses_same or kind == "Avg" else x.abs()
        assert _close(_numpy(exported(seen)), _numpy(pool(seen))), where


def test_same_is_exact_decides_symbolic_sizes_only_where_it_holds_for_every_size():
    """Stride 1 is the same at every size; stride 2 depends on the parity of H, so it is not
    the same for a symbolic H (only for numbers: to_keras needs numbers anyway)."""
    from symcnn.arith import ceil_div
    from symcnn.interop.keras_padding import same_is_exact

    H = sc.symbols("H")
    assert same_is_exact((H,), (3,), (1,), (1,), [(1, 1)], (H,))
    assert same_is_exact((H,), (3,), (1,), (3,), [(3, 3)], (H,))
    assert not same_is_exact((H,), (3,), (1,), (1,), [(2, 2)], (H + 2,))
    assert not same_is_exact((H,), (3,), (2,), (1,), [(1, 1)], (ceil_div(H, 2),))
    assert same_is_exact((9,), (3,), (2,), (1,), [(1, 1)], (5,))
    assert not same_is_exact((8,), (3,), (2,), (1,), [(1, 1)], (4,))


# ------------------------------------------------------------------------------- zoo models

@pytest.mark.parametrize("build", [lambda: zoo.resnet18(include_top=False, width=8),
                                   lambda: zoo.mobilenet_v2(include_top=False, alpha=0.35)],
                         ids=["resnet18", "mobilenet_v2"])
def test_an_exported_zoo_model_computes_what_its_torch_export_computes(build):
    """Exported at several sizes, with the same weights as its to_torch() export, a zoo model
    gives the same outputs, parameter counts and per-layer shapes; stride-1 layers never get a
    ZeroPadding layer, and where every strided layer meets an odd size none does (Keras'
    "same" is PyTorch's padding there). Batch norm's epsilon (1e-5, PyTorch's) was dropped
    by to_keras, which used Keras' 1e-3."""
    torch = require("torch")
    require("keras")
    model = build()
    for size in ((32, 33), (33, 35), (65, 33)):
        numeric = model.subs(H=size[0], W=size[1])
        k, t = numeric.to_keras(), numeric.to_torch().eval()
        _randomize_statistics(k)
        _keras_to_torch(k, t)
        x = torch.randn(2, *size, 3)
        with torch.no_grad():
            expected = torch.movedim(t(torch.movedim(x, -1, 1)), 1, -1).numpy()
        got = _numpy(k(x, training=False))
        assert np.allclose(got, expected, atol=1e-4 * np.abs(expected).max()), size
        assert k.count_params() == numeric.params
        keras_shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in k.layers}
        for record in numeric.layers:
            name = record.name.replace(".", "_")
            if name in keras_shapes:
                assert keras_shapes[name] == tuple(record.output_shape), (size, name)
        for pad in _pads(k):
            after = k.layers[[layer.name for layer in k.layers].index(pad) + 1]
            assert max(after.strides) > 1, (size, pad)
        if size == (65, 33):  # 65 -> 33 -> 17 -> 9 -> 5 -> 3 and 33 -> 17 -> 9 -> 5 -> 3 -> 2
            assert _pads(k) == [], size


# ------------------------------------------------------- arguments that change values only

def test_batch_norm_epsilon_and_momentum_reach_keras():
    """PyTorch's momentum weighs the new batch and Keras' the running average: 0.2 -> 0.8.
    Both were dropped (Keras' defaults, 1e-3 and 0.99, were used instead)."""
    torch = require("torch")
    require("keras")
    model = nn.Sequential(nn.BatchNorm2d(4, eps=1e-5, momentum=0.2, name="bn"),
                          input_shape=(4, 5, 6))
    k, t = model.to_keras(), model.to_torch().eval()
    assert (k.get_layer("bn").epsilon, k.get_layer("bn").momentum) == (1e-5, 0.8)
    _randomize_statistics(k)
    _keras_to_torch(k, t)
    x = torch.randn(2, 4, 5, 6)
    assert _close(_numpy(k(x, training=False)), t(x).detach().numpy(), atol=1e-4)
    keras_named = sc.Sequential([sc.Input((5, 6, 4)), sc.BatchNormalization(
        epsilon=1e-5, momentum=0.9, name="bn")]).to_keras()
    assert (keras_named.get_layer("bn").epsilon, keras_named.get_layer("bn").momentum) == \
        (1e-5, 0.9)


def test_upsampling_interpolation_reaches_keras():
    """sc.UpSampling2D(interpolation="bilinear").to_keras() repeated pixels (nearest)."""
    torch = require("torch")
    keras = require("keras")
    x = torch.randn(1, 5, 7, 3)
    exported = sc.Sequential([sc.Input((5, 7, 3)),
                              sc.UpSampling2D(2, interpolation="bilinear")]).to_keras()
    own = keras.layers.UpSampling2D(2, interpolation="bilinear")
    assert _close(_numpy(exported(x)), _numpy(own(x)))
    nearest = keras.layers.UpSampling2D(2)
    assert not _close(_numpy(exported(x)), _numpy(nearest(x)))


# ------------------------------------------------------------------------------ upsampling

@pytest.mark.parametrize("mode", ["nearest-exact", "area", "nearest"])
@pytest.mark.parametrize("shape, factor", [((3, 5, 7), 2), ((3, 5, 7), 3), ((3, 5, 7), (2, 3)),
                                           ((2, 3, 4, 5), 2), ((2, 3, 4, 5), (1, 2, 3))])
def test_whole_number_upsampling_exports_with_pytorchs_values(mode, shape, factor):
    """For a whole-number factor f, PyTorch's nearest (floor(o/f)), nearest-exact
    (floor((o + 1/2)/f)) and area (the one element the output's area lies in) all repeat each
    element f times, as Keras' UpSampling2D/3D do. nearest-exact and area were refused."""
    torch = require("torch")
    require("keras")
    model = nn.Sequential(nn.Upsample(scale_factor=factor, mode=mode, name="up"),
                          input_shape=shape)
    exported = model.to_keras()
    x = torch.randn(2, *shape)
    expected = torch.nn.Upsample(scale_factor=factor, mode=mode)(x).numpy()
    assert tuple(exported.output_shape[1:]) == model.output_shape == expected.shape[1:]
    assert _close(_numpy(exported(x)), expected, atol=0)


@pytest.mark.parametrize("mode, shape, keras_layer", [
    ("bicubic", (3, 4, 4), "UpSampling2D"), ("trilinear", (3, 4, 4, 4), "UpSampling3D")])
def test_an_upsampling_keras_lacks_is_refused_naming_the_layer_the_mode_and_keras_options(
        mode, shape, keras_layer):
    """Keras' bicubic is PyTorch's on its torch backend only (TensorFlow, JAX and NumPy use
    Keys' a=-0.5 kernel, PyTorch a=-0.75), so it is no equivalent."""
    require("keras")
    model = nn.Sequential(nn.Upsample(scale_factor=2, mode=mode, name="up"), input_shape=shape)
    with pytest.raises(sc.ConversionError) as err:
        model.to_keras()
    text = str(err.value)
    assert "layer 'up' (Upsample)" in text and f"mode={mode!r}" in text
    assert f"Keras' {keras_layer} interpolates as PyTorch does for 'nearest', " \
           f"'nearest-exact' and 'area'" in text
    if keras_layer == "UpSampling2D":
        assert "interpolation='nearest', 'bilinear', 'bicubic', 'lanczos3' or 'lanczos5'" in text


@pytest.mark.parametrize("layer, reason", [
    (nn.ReflectionPad2d(1), "reflect padding"), (nn.ReplicationPad2d(1), "replicate padding"),
    (nn.CircularPad2d(1), "circular padding"), (nn.ConstantPad2d(1, 3.0), "value=3.0")])
def test_padding_other_than_zeros_is_refused_not_exported_as_zero_padding(layer, reason):
    """These became Keras' ZeroPadding2D: the same shapes, other values."""
    torch = require("torch")
    require("keras")
    model = sc.Sequential([sc.Input((3, 6, 6)), layer])
    x = torch.randn(1, 3, 6, 6)
    zeros = torch.nn.functional.pad(x, (1, 1, 1, 1))
    assert model.to_torch()(x).shape == zeros.shape and not torch.equal(model.to_torch()(x),
                                                                         zeros)
    with pytest.raises(sc.ConversionError, match=rf"{re.escape(reason)} \(Keras pads with "
                                                 rf"zeros only, which gives other values\)"):
        model.to_keras()
    assert sc.Sequential([sc.Input((3, 6, 6)), nn.ConstantPad2d(1, 0.0)]).to_keras() \
        .count_params() == 0  # a constant of zero is Keras' ZeroPadding2D


SHAPE_KEEPING = [
    nn.ReLU(), nn.ReLU6(), nn.LeakyReLU(0.2), nn.ELU(alpha=2.0), nn.SELU(), nn.CELU(),
    nn.CELU(alpha=2.0), nn.Hardtanh(), nn.Hardtanh(-2.0, 2.0), nn.Softplus(),
    nn.Softplus(beta=2.0), nn.Softplus(threshold=1.0), nn.GELU(), nn.GELU(approximate="tanh"),
    nn.Softmax(dim=1), nn.Softmax(dim=-1), nn.Softmax(), nn.LogSoftmax(dim=-1),
    nn.LogSoftmax(dim=1), nn.LogSoftmax(), nn.Hardswish(), nn.Hardsigmoid(), nn.SiLU(),
    nn.Mish(), nn.Softsign(), nn.Tanh(), nn.Sigmoid(), nn.Identity(), nn.Dropout(0.3),
]


@pytest.mark.parametrize("layer", SHAPE_KEEPING, ids=lambda layer: repr(layer))
def test_an_activation_exports_with_pytorchs_values_or_is_refused_saying_so(layer):
    """``nn.CELU(alpha=2.0)``, ``nn.Hardtanh(-2, 2)``, ``nn.Softplus(beta=2)``,
    ``nn.GELU(approximate="tanh")`` and ``nn.LogSoftmax(dim=1)`` became Keras activations
    that compute with Keras' fixed arguments: the same shapes, other values. (The tanh GELU
    is now built of Keras layers, with PyTorch's values.)"""
    torch = require("torch")
    require("keras")
    model = sc.Sequential([sc.Input((3, 6, 6)), layer])
    try:
        exported = model.to_keras()
    except sc.ConversionError as err:
        assert "which gives other values" in str(err) or "implicitly" in str(err)
        return
    x = np.random.default_rng(0).normal(size=(2, 3, 6, 6)).astype("float32") * 3
    with torch.no_grad():
        expected = model.to_torch().eval()(torch.from_numpy(x))
    assert _close(_numpy(exported(x, training=False)), _numpy(expected), atol=1e-5)


def test_the_activations_keras_cannot_compute_are_exactly_those_refused():
    require("keras")
    refused = []
    for layer in SHAPE_KEEPING:
        try:
            sc.Sequential([sc.Input((3, 6, 6)), layer]).to_keras()
        except sc.ConversionError:
            refused.append(repr(layer))
    assert refused == [repr(layer) for layer in (
        nn.CELU(alpha=2.0), nn.Hardtanh(-2.0, 2.0), nn.Softplus(beta=2.0),
        nn.Softplus(threshold=1.0), nn.Softmax(),
        nn.LogSoftmax(dim=1), nn.LogSoftmax())]


def test_a_channels_last_flatten_before_a_dense_computes_what_keras_computes():
    """``to_torch`` flattened a channels-last map in PyTorch's channel-first order: the same
    shapes and counts, but a Dense with Keras' weights read its inputs in another order."""
    torch = require("torch")
    require("keras")
    model = sc.Sequential([sc.Input((6, 5, 3)), sc.Conv2D(4, 3, name="conv"),
                           sc.Flatten(name="flat"), sc.Dense(7, name="dense")])
    k, t = model.to_keras(), model.to_torch().eval()
    _keras_to_torch(k, t)
    x = np.random.default_rng(0).normal(size=(2, 6, 5, 3)).astype("float32")
    expected = _numpy(k(x, training=False))
    with torch.no_grad():
        got = t(torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))).numpy()
    assert _close(got, expected, atol=1e-4)


def _window_means(x, pool, stride):
    """Keras' ``same`` average pooling by its definition: each window's mean over the input
    elements it covers, the padding (``total // 2`` before, the rest after) left out."""
    n, h, w, c = x.shape
    out = []
    for size, k, s in ((h, pool, stride), (w, pool, stride)):
        o = -(-size // s)
        total = max((o - 1) * s + k - size, 0)
        out.append((o, total // 2))
    (oh, ph), (ow, pw) = out
    y = np.zeros((n, oh, ow, c), dtype="float64")
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * stride - ph, j * stride - pw
            window = x[:, max(r0, 0):min(r0 + pool, h), max(c0, 0):min(c0 + pool, w)]
            y[:, i, j] = window.mean(axis=(1, 2))
    return y


@pytest.mark.parametrize("size, pool, stride", [(6, 3, 2), (7, 3, 2), (6, 2, 1), (5, 3, 1),
                                                (9, 4, 3), (8, 5, 2)])
def test_same_average_pooling_leaves_the_padding_out_of_each_mean(size, pool, stride):
    """``to_torch`` counted the padded zeros (``AvgPool2d``'s default). Keras' definition
    (TensorFlow, JAX) takes each window's mean over the input elements it covers; Keras'
    torch backend pads an uneven amount by replicating the edge, so the brute force of the
    definition is the reference, and Keras agrees wherever its padding is even."""
    torch = require("torch")
    require("keras")
    model = sc.Sequential([sc.Input((size, size + 1, 2)),
                           sc.AveragePooling2D(pool, strides=stride, padding="same")])
    x = np.random.default_rng(0).normal(size=(2, size, size + 1, 2)).astype("float32")
    with torch.no_grad():
        got = model.to_torch()(torch.from_numpy(np.ascontiguousarray(
            x.transpose(0, 3, 1, 2)))).numpy().transpose(0, 2, 3, 1)
    assert got.shape == (2, *model.output_shape)
    assert _close(got, _window_means(x, pool, stride), atol=1e-5)
    even = all(max((-(-i // stride) - 1) * stride + pool - i, 0) % 2 == 0
               for i in (size, size + 1))
    if even:
        assert _close(got, _numpy(model.to_keras()(x)), atol=1e-5)


@pytest.mark.parametrize("kernel, stride, padding, output_padding", [
    (k, s, p, o) for k in (1, 2, 3, 4, 5) for s in (1, 2, 3) for p in ("same", "valid")
    for o in (None, *range(s))])
def test_a_transposed_convolution_with_output_padding_is_keras_value_for_value(
        kernel, stride, padding, output_padding):
    """With ``output_padding`` the export used PyTorch's symmetric padding, one position off
    from Keras' cut (``Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1)``:
    the same shape, every value shifted); without it, a kernel smaller than the stride grew
    the output with zeros where Keras has the bias."""
    torch = require("torch")
    require("keras")
    model = sc.Sequential([sc.Input((7, 6, 3)), sc.Conv2DTranspose(
        4, kernel, strides=stride, padding=padding, output_padding=output_padding,
        name="up")])
    k, t = model.to_keras(), model.to_torch().eval()
    rng = np.random.default_rng(1)
    k.set_weights([rng.normal(size=w.shape).astype("float32") for w in k.get_weights()])
    _keras_to_torch(k, t)
    x = rng.normal(size=(2, 7, 6, 3)).astype("float32")
    with torch.no_grad():
        got = t(torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))).numpy()
    assert _close(got.transpose(0, 2, 3, 1), _numpy(k(x)), atol=1e-4)
