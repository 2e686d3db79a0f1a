"""to_torch() gives Keras' values for every Keras activation it exports, for ReLU's arguments and
for Flatten(data_format="channels_first"); to_keras() gives PyTorch's tanh GELU.

The references are the frameworks themselves: each symcnn model is built again in Keras 3 with
``keras.layers`` (the same names), its weights copied into the PyTorch export, and both are run
on the same inputs: random ones, and each activation's kinks and thresholds with their float32
neighbours on both sides, where a wrong comparison (``>`` for ``>=``) shows.
"""

import numpy as np
import pytest

import symcnn as sc
from symcnn import nn
from symcnn.suggest import KERAS_ACTIVATIONS

from ..conftest import require

pytestmark = pytest.mark.frameworks

#: Where Keras' activations change formula (and ReLU's arguments below).
KINKS = (0.0, 0.5, 1.0, 3.0, 6.0, 20.0)


def _around(points) -> np.ndarray:
    """Each point, negated too, with its float32 neighbours on both sides."""
    values = []
    for p in points:
        for q in {p, -p}:
            q = np.float32(q)
            values += [q, np.nextafter(q, np.float32(-np.inf)), np.nextafter(q, np.float32(np.inf))]
    return np.array(values, dtype="float32")


def _inputs(points, n_random=40, seed=0) -> np.ndarray:
    """A batch of one row: the kinks and their neighbours, then random values (scale 3)."""
    rng = np.random.default_rng(seed)
    random = (rng.normal(size=n_random) * 3).astype("float32")
    return np.concatenate([_around(points), random])[None]


def _close(got, expected) -> bool:
    got, expected = np.asarray(got), np.asarray(expected)
    return got.shape == expected.shape and np.allclose(got, expected, rtol=1e-5, atol=1e-5)


def _numpy(y):
    return np.asarray(y.detach().cpu() if hasattr(y, "detach") else y)


def _run_torch(model, x, channels_last: bool):
    """The PyTorch export on ``x`` (given as Keras takes it), channels moved first for a
    channels-last feature map, as ``to_torch()``'s module takes it."""
    torch = require("torch")
    if channels_last and x.ndim > 2:
        x = np.moveaxis(x, -1, 1)
    with torch.no_grad():
        return model(torch.from_numpy(np.ascontiguousarray(x))).numpy()


def _copy_weights(keras_model, torch_model) -> None:
    """Random Keras weights, copied into the PyTorch module of the same name."""
    torch = require("torch")
    rng = np.random.default_rng(1)
    modules = dict(torch_model.named_modules())
    for layer in keras_model.layers:
        weights = [rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()]
        if not weights:
            continue
        layer.set_weights(weights)
        kernel = weights[0]
        if type(layer).__name__ == "Dense":
            kernel = kernel.T
        else:  # a convolution: (*k, in, out) -> (out, in, *k)
            n = kernel.ndim
            kernel = np.transpose(kernel, (n - 1, n - 2, *range(n - 2)))
        module = modules[layer.name]
        module.weight.data = torch.tensor(np.ascontiguousarray(kernel))
        module.bias.data = torch.tensor(weights[1])


# -------------------------------------------------------------------------- activations

#: Refused by to_torch: Keras' glu halves an axis its own shapes keep, its sparsemax is not
#: sparsemax (keras-team/keras#23425), threshold needs arguments a name cannot give, and
#: Keras has no prelu activation (it is PyTorch's module).
REFUSED = {"glu", "sparsemax", "threshold", "prelu"}
EXPORTED = sorted(KERAS_ACTIVATIONS - REFUSED)


@pytest.mark.parametrize("name", EXPORTED)
def test_each_keras_activation_exports_with_keras_values_at_and_around_its_kinks(name):
    keras = require("keras")
    x = _inputs(KINKS)
    model = sc.Sequential([sc.Input((x.shape[1],)), sc.Activation(name, name="act")])
    expected = keras.layers.Activation(name)(x)
    got = _run_torch(model.to_torch(), x, channels_last=False)
    assert _close(got, _numpy(expected)), name


NEW = ["log_sigmoid", "sparse_plus", "sparse_sigmoid", "soft_shrink", "hard_shrink",
       "tanh_shrink", "squareplus"]


@pytest.mark.parametrize("name", NEW)
def test_an_activation_given_to_a_layer_follows_it_with_keras_values(name):
    """``Conv2D(..., activation=name)`` on a channels-last map and ``Dense(..., activation=name)``
    after it, against the same Keras model with the same weights."""
    keras = require("keras")
    K = keras.layers
    model = sc.Sequential([sc.Input((5, 6, 3)), sc.Conv2D(4, 3, activation=name, name="conv"),
                           sc.Flatten(name="flat"), sc.Dense(7, activation=name, name="dense")])
    reference = keras.Sequential([keras.Input((5, 6, 3)), K.Conv2D(4, 3, activation=name,
                                  name="conv"), K.Flatten(name="flat"),
                                  K.Dense(7, activation=name, name="dense")])
    exported = model.to_torch().eval()
    _copy_weights(reference, exported)
    x = (np.random.default_rng(2).normal(size=(3, 5, 6, 3)) * 0.5).astype("float32")
    assert _close(_run_torch(exported, x, channels_last=True), _numpy(reference(x)))


def test_the_activations_refused_are_exactly_those_keras_cannot_give_by_name():
    refused = {}
    for name in sorted(KERAS_ACTIVATIONS):
        try:
            sc.Sequential([sc.Input((8,)), sc.Activation(name, name="act")]).to_torch()
        except sc.ConversionError as err:
            refused[name] = str(err)
    assert set(refused) == REFUSED
    assert "layer 'act' (Activation)" in refused["glu"] and "halves the last axis" in refused["glu"]
    assert "keras-team/keras#23425" in refused["sparsemax"]
    assert "`threshold` and `default_value`" in refused["threshold"]
    assert "activation='glu'" in refused["glu"]


def test_keras_itself_motivates_each_refusal():
    """glu: Keras computes half the axis while its shape keeps it; sparsemax: Keras' outputs
    do not sum to 1 (when a Keras release sums to 1, sparsemax can be exported as it);
    threshold: Keras cannot call it by name."""
    keras = require("keras")
    glu = keras.layers.Activation("glu")
    x = np.random.default_rng(0).normal(size=(2, 6)).astype("float32")
    sums = _numpy(keras.activations.sparsemax(np.array([[0.5, 0.4]], dtype="float32"))).sum(-1)
    changed = [what for what, still in (
        ("glu's output shape", glu.compute_output_shape((2, 6)) == (2, 6)
         and tuple(glu(x).shape) == (2, 3)),
        ("sparsemax's sums", not np.allclose(sums, 1.0))) if not still]
    with pytest.raises(TypeError, match="threshold"):
        keras.layers.Activation("threshold")(x)
    if changed:  # a newer Keras (keras>=3.0 is not pinned): the refusal stays sound
        pytest.skip(f"Keras {keras.__version__} changed {', '.join(changed)}: revisit the "
                    f"refusal in symcnn/interop/_torch_emit.py (_REFUSED)")


# ---------------------------------------------------------------------------------- ReLU

RELU_CASES = [dict(max_value=m, negative_slope=s, threshold=t)
              for m in (None, 0.0, 0.5, 2.0, 6.0) for s in (0.0, 0.1, 0.3) for t in (0.0, 0.5, 2.5)]


@pytest.mark.parametrize("kwargs", RELU_CASES,
                         ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_relu_with_any_max_value_slope_and_threshold_exports_with_keras_values(kwargs):
    """``threshold`` was refused. Keras: ``x`` above the threshold (else 0), clipped to
    ``[0, max_value]``, minus ``negative_slope*relu(threshold - x)``; its kinks (the
    threshold, ``max_value``) and their neighbours are among the inputs."""
    keras = require("keras")
    points = KINKS + tuple(v for v in kwargs.values() if v)
    x = _inputs(points)
    model = sc.Sequential([sc.Input((x.shape[1],)), sc.ReLU(**kwargs, name="relu")])
    expected = keras.layers.ReLU(**kwargs)(x)
    assert _close(_run_torch(model.to_torch(), x, channels_last=False), _numpy(expected))


@pytest.mark.parametrize("kwargs", [{"alpha": 0.1}, {"negative_slope": 0.1}, {}])
def test_leaky_relu_takes_keras_2s_alpha_as_its_slope_as_keras_3_does(kwargs):
    """``LeakyReLU(alpha=0.1)`` kept the default slope 0.3: 0.3 in to_torch(), while
    to_keras() (Keras reads ``alpha`` as the slope) had 0.1."""
    keras = require("keras")
    x = _inputs(KINKS)
    model = sc.Sequential([sc.Input((x.shape[1],)), sc.LeakyReLU(**kwargs, name="leaky")])
    expected = _numpy(keras.layers.LeakyReLU(**kwargs)(x))
    assert _close(_run_torch(model.to_torch(), x, channels_last=False), expected)
    assert _close(_numpy(model.to_keras()(x)), expected)


@pytest.mark.parametrize("arg", ["max_value", "negative_slope", "threshold"])
def test_a_negative_relu_argument_keras_refuses_is_refused_naming_it(arg):
    keras = require("keras")
    with pytest.raises(ValueError, match=arg):
        keras.layers.ReLU(**{arg: -1.0})
    with pytest.raises(sc.LayerArgumentError, match=rf"ReLU: `{arg}` must be a non-negative "
                                                    rf"number.*{arg}=-1\.0"):
        sc.ReLU(**{arg: -1.0}, name="r")  # refused when built, as Keras refuses it


# ------------------------------------------------------------------------------- Flatten

FLATTEN_CASES = {  # (input shape, the convolution before the Flatten, its data_format)
    "channels-last map, Flatten(channels_first)": ((5, 4, 3), {}, "channels_first"),
    "channels-last map, Flatten()": ((5, 4, 3), {}, None),
    "channels-first map, Flatten(channels_first)": (
        (3, 5, 4), {"data_format": "channels_first"}, "channels_first"),
    "channels-first map, Flatten()": ((3, 5, 4), {"data_format": "channels_first"}, None),
    "sequence, Flatten(channels_first)": ((4, 3), None, "channels_first"),
    "vector, Flatten(channels_first)": ((6,), None, "channels_first"),
}


@pytest.mark.parametrize("case", list(FLATTEN_CASES))
def test_flatten_before_a_dense_computes_what_keras_computes(case):
    """``Flatten(data_format="channels_first")`` moves axis 1 (the channels) last before
    flattening, in Keras; to_torch flattened it in PyTorch's channels-first order, so a
    Dense with Keras' weights read another order (after a channels-last map and in a
    channels-first model alike)."""
    keras = require("keras")
    K = keras.layers
    shape, conv, data_format = FLATTEN_CASES[case]
    body = [] if conv is None else [sc.Conv2D(3, 2, **conv, name="conv")]
    keras_body = [] if conv is None else [K.Conv2D(3, 2, **conv, name="conv")]
    model = sc.Sequential([sc.Input(shape), *body, sc.Flatten(data_format=data_format,
                                                              name="flat"),
                           sc.Dense(5, name="dense")])
    reference = keras.Sequential([keras.Input(shape), *keras_body,
                                  K.Flatten(data_format=data_format, name="flat"),
                                  K.Dense(5, name="dense")])
    exported = model.to_torch().eval()
    _copy_weights(reference, exported)
    x = np.random.default_rng(3).normal(size=(2, *shape)).astype("float32")
    channels_last = not case.startswith("channels-first")
    assert _close(_run_torch(exported, x, channels_last), _numpy(reference(x)))


# ------------------------------------------------------------------- to_keras: tanh GELU

def test_pytorchs_tanh_gelu_exports_to_keras_with_pytorchs_values_and_survives_saving(tmp_path):
    """``nn.GELU(approximate="tanh")`` was refused (Keras' 'gelu' is the exact one); it is a
    model of Keras layers named as the layer, which to_json and .keras files keep."""
    torch = require("torch")
    keras = require("keras")
    model = sc.Sequential([sc.Input((3, 8, 8)), nn.Conv2d(3, 4, 3, padding=1, name="conv"),
                           nn.GELU(approximate="tanh", name="gelu")])
    exported = model.to_keras()
    assert [layer.name for layer in exported.layers] == ["conv", "gelu"]
    assert exported.count_params() == model.params
    assert tuple(exported.output_shape[1:]) == model.output_shape
    rng = np.random.default_rng(4)
    weights = [rng.normal(size=w.shape).astype("float32") * 2
               for w in exported.get_layer("conv").get_weights()]
    exported.get_layer("conv").set_weights(weights)
    module = model.to_torch().eval()
    module.conv.weight.data = torch.tensor(np.ascontiguousarray(
        np.transpose(weights[0], (3, 2, 0, 1))))
    module.conv.bias.data = torch.tensor(weights[1])
    x = rng.normal(size=(2, 3, 8, 8)).astype("float32")
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    path = tmp_path / "gelu.keras"
    exported.save(path)
    from_json = keras.models.model_from_json(exported.to_json())
    from_json.get_layer("conv").set_weights(weights)  # JSON keeps the layers, not the weights
    for k in (exported, from_json, keras.models.load_model(path)):
        assert _close(_numpy(k(x)), expected)


def test_pytorchs_tanh_gelu_is_keras_value_for_value_far_into_both_tails():
    torch = require("torch")
    require("keras")
    x = _inputs(KINKS + (0.044715, 4.0, 10.0))
    model = sc.Sequential([sc.Input((x.shape[1],)), nn.GELU(approximate="tanh")])
    expected = torch.nn.functional.gelu(torch.from_numpy(x), approximate="tanh").numpy()
    assert _close(_numpy(model.to_keras()(x)), expected)
    assert _close(_run_torch(model.to_torch(), x, channels_last=False), expected)


def test_the_tanh_gelu_export_reads_back_with_the_same_counts_and_shapes():
    require("keras")
    model = sc.Sequential([sc.Input((3, 8, 8)), nn.Conv2d(3, 4, 3), nn.GELU(approximate="tanh"),
                           nn.Flatten(), nn.Linear(144, 10)])
    back = sc.from_keras(model.to_keras())
    assert (back.params, back.output_shape) == (model.params, model.output_shape)
