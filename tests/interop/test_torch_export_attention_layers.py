"""model.to_torch() exports ``Attention``, ``AdditiveAttention``, ``Dot`` and
``GroupedQueryAttention`` as modules that run Keras 3's own operations (torch.nn has none
for them), with Keras' weights in Keras' layout: the same counts, and on Keras' random
weights copied over, Keras' values. Masked calls, a Keras mask on the input and a sliding
window are refused, naming the layer and the reason.

Each case is one symcnn model, exported twice: ``to_keras()`` and ``to_torch()``. The model is
channels last (Keras'), so the module reads and gives sequences as ``(N, d, T)``.
"""

from __future__ import annotations

import numpy as np
import pytest

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks

torch = require("torch")
keras = require("keras")

T, S = 5, 7


def model_of(build, widths=(16, 12, 16)):
    """A model of one layer named ``layer`` on a query of ``T`` positions and a value and a
    key of ``S`` (of ``widths``); ``build(layer_inputs)`` calls the layer."""
    q, v, k = (sc.Input((n, w), name=name) for n, w, name in zip((T, S, S), widths, "qvk"))
    return sc.Model([q, v, k], build(q, v, k))


CASES = {
    "Attention": lambda q, v, k: sc.Attention(name="layer")([q, v, k]),
    "Attention, scaled, key = value": lambda q, v, k: sc.Attention(True, name="layer")([q, k]),
    "Attention, concat": lambda q, v, k: sc.Attention(score_mode="concat",
                                                      name="layer")([q, v, k]),
    "Attention, concat, scaled": lambda q, v, k: sc.Attention(True, "concat",
                                                              name="layer")([q, v, k]),
    "Attention, dropout": lambda q, v, k: sc.Attention(dropout=0.3, name="layer")([q, v, k]),
    "AdditiveAttention": lambda q, v, k: sc.AdditiveAttention(name="layer")([q, v, k]),
    "AdditiveAttention, no scale": lambda q, v, k: sc.AdditiveAttention(
        use_scale=False, name="layer")([q, k]),
    "Dot, sequences": lambda q, v, k: sc.Dot(axes=2, name="layer")([q, k]),
    "Dot, positions": lambda q, v, k: sc.Dot(axes=(1, 1), name="layer")([v, k]),
    "Dot, normalized": lambda q, v, k: sc.Dot(axes=-1, normalize=True, name="layer")([q, q]),
    "GroupQueryAttention": lambda q, v, k: sc.GroupQueryAttention(
        4, 4, 2, name="layer")(q, k),
    "GroupQueryAttention, key of its own": lambda q, v, k: sc.GroupQueryAttention(
        2, 6, 3, name="layer")(q, k, v),
    "GroupQueryAttention, multi-query, gate, no bias": lambda q, v, k: sc.GroupQueryAttention(
        4, 4, 1, use_bias=False, use_gate=True, name="layer")(q, k),
    "GroupQueryAttention, dropout": lambda q, v, k: sc.GroupQueryAttention(
        4, 2, 2, dropout=0.2, name="layer")(q, k),
}


def copy_weights(kmodel, net) -> None:
    """Keras' weights into the exported module of the same name, by their Keras names."""
    layer = kmodel.get_layer("layer")
    if not layer.weights:
        return
    module = net.get_submodule("layer")
    if isinstance(layer, keras.layers.GroupQueryAttention):
        parts = {"query": layer._query_dense, "key": layer._key_dense,
                 "value": layer._value_dense, "output": layer._output_dense}
        if layer.use_gate:
            parts["gate"] = layer._gate_dense
        pairs = [(f"{part}_{w}", getattr(dense, w)) for part, dense in parts.items()
                 for w in ("kernel", "bias") if getattr(dense, w, None) is not None]
    else:
        pairs = [(w.path.split("/")[-1], w) for w in layer.weights]
    with torch.no_grad():
        for name, weight in pairs:
            getattr(module, name).copy_(torch.tensor(np.asarray(weight.numpy())))


def to_torch_layout(x):
    return x if x.dim() < 3 else torch.movedim(x, -1, 1)


def from_torch_layout(x):
    return x if x.dim() < 3 else torch.movedim(x, 1, -1)


@pytest.mark.parametrize("build", list(CASES.values()), ids=list(CASES))
def test_the_export_has_kerass_count_and_computes_kerass_values(build):
    model = model_of(build)
    kmodel, net = model.to_keras(), model.to_torch()
    rng = np.random.default_rng(0)
    for layer in kmodel.layers:  # weights away from Keras' start (ones, zeros)
        layer.set_weights([rng.standard_normal(np.shape(w)).astype("float32") * 0.5
                           for w in layer.get_weights()])
    copy_weights(kmodel, net)
    assert sum(p.numel() for p in net.parameters()) == model.params == kmodel.count_params()
    xs = [rng.standard_normal((2, *(int(d) for d in t.shape))).astype("float32")
          for t in model.inputs]
    expected = np.asarray(kmodel(xs, training=False).detach())
    net.eval()
    with torch.no_grad():
        got = from_torch_layout(net(*[to_torch_layout(torch.tensor(x)) for x in xs]))
    assert tuple(got.shape[1:]) == tuple(model.output_shape)
    assert np.abs(expected).max() > 0.1  # a real signal, not zeros against zeros
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_a_frozen_layer_exports_frozen():
    model = model_of(lambda q, v, k: sc.AdditiveAttention(trainable=False, name="layer")(
        [q, v, k]))
    net = model.to_torch()
    assert [p.requires_grad for p in net.parameters()] == [False]
    assert model.trainable_params == 0 and model.non_trainable_params == 16


@pytest.mark.parametrize("build, reason", [
    (lambda q, v, k: sc.Attention(name="layer")([q, v, k], use_causal_mask=True),
     r"called with use_causal_mask=True: masks change no shape"),
    (lambda q, v, k: sc.GroupQueryAttention(4, 4, 2, name="layer")(q, k, key_mask="<tensor>"),
     r"called with key_mask=<tensor>"),
    (lambda q, v, k: sc.GroupQueryAttention(4, 4, 2, sliding_window=3, name="layer")(q, k),
     r"sliding_window=3: Keras attends each query only to the keys fewer than that many"),
])
def test_what_the_module_would_compute_otherwise_is_refused_by_name(build, reason):
    with pytest.raises(sc.ConversionError, match=rf"layer 'layer' \(\w+\): {reason}"):
        model_of(build).to_torch()


def test_an_input_carrying_a_keras_mask_is_refused():
    ids = sc.Input((T,))
    x = sc.Embedding(50, 8, mask_zero=True)(ids)
    model = sc.Model(ids, sc.Attention(name="layer")([x, x]))
    with pytest.raises(sc.ConversionError, match=r"layer 'layer' \(Attention\): its input may "
                                                 r"carry the mask of Embedding 'embedding'"):
        model.to_torch()


def test_from_torch_reads_the_module_as_the_layer_but_not_its_call_on_several_tensors():
    net = model_of(CASES["Attention"]).to_torch()
    module = net.get_submodule("layer")
    assert module.symcnn_layer("layer", True).get_config() == sc.Attention(
        name="layer").get_config()
    with pytest.raises(sc.ConversionError, match=r"module 'layer' .*: a module called with "
                                                 r"more than one tensor argument"):
        sc.from_torch(net, input_shape=[(16, T), (12, S), (16, S)])
