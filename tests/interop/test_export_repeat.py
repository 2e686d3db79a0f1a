"""model.to_torch() and model.to_keras() write a numeric ``Repeat(block, n)`` out.

``Repeat(block, n)`` applies the block ``n`` times, each repetition with its own weights, so
an export holds ``n`` copies of the block's layers, each a fresh module or layer with its own
parameters, chained (none for ``n = 0``: the input passes through). Blocks that keep the
shape and blocks that change it (a strided convolution), a single layer and a nested model,
counts 0, 1 and 3, a symbolic count substituted and zoo models of symbolic depth substituted
are exported to both frameworks. For each: the framework's parameter count is
``model.params``, the output shape is symcnn's (channels first in PyTorch), importing the
export back (``from_torch``/``from_keras``) gives the same counts, and the two exports compute
the same function once the Keras weights are copied into the PyTorch module. A count still
symbolic is refused, naming the symbol and the substitution.
"""

import warnings

import numpy as np
import pytest

import symcnn as sc
from symcnn import zoo

from ..conftest import require
from .test_export_round_trips import channels_first, keras_counts
from .test_keras_export_values import _keras_to_torch

pytestmark = pytest.mark.frameworks


def kept_block():
    """A nested model that keeps its (8, 8, 4) input shape."""
    x = sc.Input((8, 8, 4))
    return sc.Model(x, sc.Conv2D(4, 3, padding="same", activation="relu")(x), name="kept")


def strided_block():
    """A nested model that halves the sizes (a stride-2 convolution, then batch norm)."""
    x = sc.Input((8, 8, 4))
    y = sc.Conv2D(4, 3, strides=2, padding="same")(x)
    return sc.Model(x, sc.BatchNormalization()(y), name="strided")


def residual_block():
    x = sc.Input((8, 8, 4))
    y = sc.Conv2D(4, 3, padding="same")(x)
    return sc.Model(x, sc.Add()([x, y]), name="residual")


BLOCKS = {
    "kept model": kept_block,
    "strided model": strided_block,
    "residual model": residual_block,
    "kept layer": lambda: sc.Conv2D(4, 3, padding="same"),
    "strided layer": lambda: sc.Conv2D(4, 3, strides=2, padding="same"),
}


def repeated(block, times):
    return sc.Sequential([sc.Input((8, 8, 4)), sc.Conv2D(4, 1, name="stem"),
                          sc.Repeat(block, times), sc.Flatten(), sc.Dense(3, name="head")])


def substituted(expr, **values):
    """``expr`` with its symbols of these names replaced (whatever their assumptions)."""
    return expr.subs({s: values[s.name] for s in expr.free_symbols if s.name in values})


def both_exports(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.to_keras(), model.to_torch().eval()


def check_export(model, values=True):
    """Counts, shapes, round trips and (``values``) equal outputs of both exports."""
    torch = require("torch")
    require("keras")
    k, t = both_exports(model)
    assert keras_counts(k) == (model.params, model.trainable_params)
    assert sum(p.numel() for p in t.parameters()) + sum(
        b.numel() for n, b in t.named_buffers() if ".running_" in f".{n}") == model.params
    assert sum(p.numel() for p in t.parameters() if p.requires_grad) == model.trainable_params
    assert tuple(k.output_shape[1:]) == tuple(model.output_shape)
    x = torch.randn(2, *(int(d) for d in model.input_shape))
    with torch.no_grad():
        out = t(torch.movedim(x, -1, 1))
    assert tuple(out.shape[1:]) == channels_first(model.output_shape)
    back = sc.from_keras(k)
    assert (back.params, back.trainable_params) == (model.params, model.trainable_params)
    back = sc.from_torch(t, input_shape=channels_first(model.input_shape))
    assert (back.params, back.trainable_params) == (model.params, model.trainable_params)
    if values:
        _keras_to_torch(k, t)
        with torch.no_grad():
            expected = t(torch.movedim(x, -1, 1))
        if expected.ndim > 2:
            expected = torch.movedim(expected, 1, -1)
        got = np.asarray(k(x, training=False).detach().cpu())
        expected = expected.numpy()
        assert np.allclose(got, expected, atol=1e-5 * max(1.0, np.abs(expected).max()))
    return k, t


@pytest.mark.parametrize("times", [0, 1, 3])
@pytest.mark.parametrize("block", list(BLOCKS), ids=list(BLOCKS))
def test_a_numeric_repeat_exports_to_both_frameworks_with_its_counts_shapes_and_values(
        block, times):
    model = repeated(BLOCKS[block](), times)
    check_export(model)


def test_each_repetition_has_its_own_weights_under_its_own_name():
    """Three repetitions of a one-convolution block: three PyTorch modules and three Keras
    layers, of distinct names and distinct parameter tensors; the two exports name them
    alike (PyTorch's dots are Keras' underscores)."""
    model = repeated(kept_block(), 3)
    k, t = check_export(model)
    convs = [name for name, m in t.named_modules() if type(m).__name__ == "Conv2d"
             and name != "stem"]
    assert len(convs) == 3 == len({id(t.get_submodule(n).weight) for n in convs})
    keras_convs = [layer.name for layer in k.layers
                   if type(layer).__name__ == "Conv2D" and layer.name != "stem"]
    assert sorted(keras_convs) == sorted(n.replace(".", "_") for n in convs)


def test_repeat_zero_is_the_identity():
    torch = require("torch")
    model = sc.Sequential([sc.Input((8, 8, 4)), sc.Repeat(kept_block(), 0)])
    k, t = both_exports(model)
    assert k.count_params() == 0 == sum(p.numel() for p in t.parameters())
    x = torch.randn(2, 8, 8, 4)
    with torch.no_grad():
        assert torch.equal(t(torch.movedim(x, -1, 1)), torch.movedim(x, -1, 1))
    assert np.array_equal(np.asarray(k(x).detach().cpu()), x.numpy())


def test_a_symbolic_count_exports_once_substituted_and_is_refused_before():
    model = repeated(kept_block(), "L")
    for export in ("to_torch", "to_keras"):
        with pytest.raises(sc.ConversionError, match=rf"symbols L\. Substitute them first: "
                                                     rf"model\.subs\(L=\.\.\.\)\.{export}\(\)"):
            getattr(model, export)()
    for n in (1, 2):
        numeric = model.subs(L=n)
        assert numeric.params == substituted(model.params, L=n)
        check_export(numeric)


def test_a_nested_repeat_is_written_out_at_every_level():
    """A Repeat whose block holds a Repeat: 2 x 3 convolutions, each its own."""
    x = sc.Input((8, 8, 4))
    inner = sc.Model(x, sc.Repeat(sc.Conv2D(4, 3, padding="same"), 3)(x), name="inner")
    model = repeated(inner, 2)
    k, t = check_export(model)
    assert sum(type(m).__name__ == "Conv2d" for m in t.modules()) == 1 + 6


def test_a_frozen_repeat_exports_frozen():
    model = sc.Sequential([sc.Input((8, 8, 4)), sc.Repeat(kept_block(), 2, trainable=False),
                           sc.Flatten(), sc.Dense(3)])
    assert model.trainable_params < model.params
    check_export(model)


def test_a_resnet_of_symbolic_depth_exports_once_substituted():
    """Stages of ``a`` and ``c`` blocks: Repeat(block, a - 1) and Repeat(block, c - 1), here
    3 - 1 = 2 and 1 - 1 = 0 repetitions."""
    model = zoo.resnet(blocks=("a", 1, "c", 1), bottleneck=False, width=4, classes=5,
                       input_shape=("H", "W", 3))
    assert any(r.type == "Repeat" for r in model.layers)
    numeric = model.subs(a=3, c=1, H=32, W=32)
    assert numeric.params == substituted(model.params, a=3, c=1)
    check_export(numeric)


def test_a_vit_of_symbolic_depth_exports_to_torch_once_substituted():
    """ViT with ``L`` encoder layers (a Repeat), ``L = 2``: its PyTorch export has the counts
    and shapes, imports back, and computes what the export of the ViT written out with 2
    layers computes, given the same weights in the same order. (Keras has no ClassToken or
    PositionEmbedding, so to_keras refuses ViT whatever its depth.)"""
    torch = require("torch")
    model = zoo.vit(4, 16, "L", 2, 32, input_shape=(16, 16, 3), classes=5)
    assert any(r.type == "Repeat" for r in model.layers)
    numeric = model.subs(L=2)
    assert numeric.params == substituted(model.params, L=2)
    t = numeric.to_torch().eval()
    assert sum(p.numel() for p in t.parameters()) == numeric.params
    back = sc.from_torch(t, input_shape=(3, 16, 16))
    assert (back.params, back.output_shape) == (numeric.params, numeric.output_shape)
    written = zoo.vit(4, 16, 2, 2, 32, input_shape=(16, 16, 3), classes=5).to_torch().eval()
    ours, theirs = t.state_dict(), written.state_dict()
    assert [v.shape for v in ours.values()] == [v.shape for v in theirs.values()]
    written.load_state_dict(dict(zip(theirs, ours.values())))
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        out, expected = t(x), written(x)
    assert out.shape == (2, *channels_first(numeric.output_shape))
    assert torch.allclose(out, expected, atol=1e-5)


@pytest.mark.parametrize("block", ["kept layer", "strided layer"])
def test_a_repeat_called_twice_shares_its_weights_in_both_frameworks(block):
    """symcnn counts a shared Repeat's weights once; so do both exports."""
    x = sc.Input((8, 8, 4))
    twice = sc.Repeat(BLOCKS[block](), 2)
    model = sc.Model(x, sc.Flatten()(sc.Add()([twice(x), twice(x)])))
    check_export(model)
