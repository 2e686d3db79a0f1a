"""model.to_torch() exports Keras' MultiHeadAttention as PyTorch's nn.MultiheadAttention
(``batch_first=True``, ``bias=use_bias``, ``kdim``/``vdim`` the key's and value's widths),
called ``attn(query, key, value, need_weights=False)[0]``, exactly where that module computes
the same function with the same count: ``num_heads*key_dim`` equal to the query's width ``E``,
``value_dim`` equal to ``key_dim`` (or unset), ``E`` features out, no gate, no sliding window,
``(T, E)`` sequences attended over ``T``, no masked call, no Keras mask on its input. Everywhere
else it is refused with a ConversionError naming the layer and the reason.

Each case is one symcnn model, exported twice: ``to_keras()`` and ``to_torch()``. Keras'
random weights are copied into the PyTorch module in PyTorch's layout (written out here),
and the module's outputs are compared with Keras' on random inputs; the counts are symcnn's,
Keras' and PyTorch's own, and ``from_torch`` of the export gives them back.
"""

import numpy as np
import pytest

import symcnn as sc
from symcnn.zoo.vit import encoder_block

from ..conftest import require

pytestmark = pytest.mark.frameworks

torch = require("torch")
keras = require("keras")

T, S, E = 5, 7, 8


def attention(widths, **options):
    """A model of one ``MultiHeadAttention`` named ``mha``, 2 heads of 4 unless ``options``
    says otherwise: on inputs of ``widths``, the query's (``T`` tokens), then the value's and
    the key's (``S`` tokens) if given; a query alone attends to itself."""
    options = {"num_heads": 2, "key_dim": 4, **options}
    q = sc.Input((T, widths[0]), name="q")
    others = [sc.Input((S, w), name=n) for w, n in zip(widths[1:], ("v", "k")) if w]
    mha = sc.MultiHeadAttention(name="mha", **options)
    return sc.Model([q, *others] if others else q, mha(q, *(others or [q])))


#: Configurations nn.MultiheadAttention computes, as the models of :func:`attention`.
EXPORTED = {
    "self-attention": lambda: attention([E]),
    "cross-attention": lambda: attention([E, E]),
    "cross-attention, key given": lambda: attention([E, E, E]),
    "value and key of other widths (kdim, vdim)": lambda: attention([E, 6, 3]),
    "value of another width, the key its": lambda: attention([E, 6]),
    "without bias": lambda: attention([E, 6, 3], use_bias=False),
    "self-attention without bias": lambda: attention([E], use_bias=False),
    "one head": lambda: attention([E], num_heads=1, key_dim=E),
    "value_dim and output_shape stated": lambda: attention([E], value_dim=4, output_shape=E),
    "dropout (training only)": lambda: attention([E, E], dropout=0.25),
}


def copy_attention(mha, module) -> None:
    """Keras' query/key/value kernels ``(d, h, k)`` and biases ``(h, k)``, output kernel
    ``(h, k, E)`` and bias ``(E,)`` into ``nn.MultiheadAttention``: each input kernel is
    ``(h*k, d)`` rows of ``in_proj_weight`` (or its own ``*_proj_weight``), transposed."""
    dense = [mha.query_dense, mha.key_dense, mha.value_dense]

    def rows(layer):
        kernel = np.asarray(layer.kernel.numpy())
        return torch.tensor(kernel.reshape(kernel.shape[0], -1).T.copy())

    with torch.no_grad():
        if module.in_proj_weight is not None:
            module.in_proj_weight.copy_(torch.cat([rows(d) for d in dense]))
        else:
            for d, name in zip(dense, ("q", "k", "v")):
                getattr(module, f"{name}_proj_weight").copy_(rows(d))
        out = np.asarray(mha.output_dense.kernel.numpy())
        module.out_proj.weight.copy_(torch.tensor(out.reshape(-1, out.shape[-1]).T.copy()))
        if module.in_proj_bias is not None:
            module.in_proj_bias.copy_(torch.cat([torch.tensor(np.asarray(
                d.bias.numpy())).reshape(-1) for d in dense]))
            module.out_proj.bias.copy_(torch.tensor(np.asarray(mha.output_dense.bias.numpy())))


def copy_weights(kmodel, net) -> None:
    """Every Keras layer with weights into the exported submodule of its name: attention
    as :func:`copy_attention`, Dense kernels transposed, LayerNorm's gamma and beta."""
    for layer in kmodel.layers:
        if not layer.get_weights():
            continue
        module = net.get_submodule(layer.name)
        if isinstance(layer, keras.layers.MultiHeadAttention):
            copy_attention(layer, module)
            continue
        weights = [np.asarray(w) for w in layer.get_weights()]
        if isinstance(layer, keras.layers.Dense):
            weights[0] = weights[0].T.copy()
        with torch.no_grad():
            for p, w in zip(module.parameters(), weights):
                p.copy_(torch.tensor(w))


def randomize(kmodel, rng) -> None:
    for layer in kmodel.layers:
        layer.set_weights([rng.standard_normal(np.shape(w)).astype("float32") * 0.5
                           for w in layer.get_weights()])


def assert_pytorch_computes_what_keras_computes(model) -> None:
    """``model``'s two exports with Keras' random weights in both give Keras' outputs. The
    model is channels last (Keras'), so the module reads and gives ``(N, E, T)``."""
    kmodel, net = model.to_keras(), model.to_torch()
    rng = np.random.default_rng(0)
    randomize(kmodel, rng)
    copy_weights(kmodel, net)
    xs = [rng.standard_normal((2, *(int(d) for d in t.shape))).astype("float32")
          for t in model.inputs]
    expected = np.asarray(kmodel(xs if len(xs) > 1 else xs[0]).detach())
    net.eval()
    with torch.no_grad():
        got = net(*[torch.tensor(x).transpose(1, 2) for x in xs]).transpose(1, 2)
    assert tuple(got.shape[1:]) == tuple(model.output_shape)
    assert np.abs(expected).max() > 0.1  # a real signal, not zeros against zeros
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-5)


def torch_count(net) -> int:
    return sum(p.numel() for p in net.parameters())


def transposed(shape) -> tuple:
    """A channels-last ``(T, E)`` shape as the exported module holds it: ``(E, T)``."""
    return tuple(int(d) for d in shape)[::-1]


@pytest.mark.parametrize("build", list(EXPORTED.values()), ids=list(EXPORTED))
def test_the_export_is_nn_multiheadattention_with_the_count_of_symcnn_and_keras(build):
    model = build()
    net = model.to_torch()
    module = net.get_submodule("mha")
    assert type(module) is torch.nn.MultiheadAttention and module.batch_first
    layer = model.layers[-1].layer
    assert (module.embed_dim, module.num_heads) == (E, layer.num_heads)
    widths = [t.shape[-1] for t in model.inputs]
    assert (module.kdim, module.vdim) == ((widths[-1], widths[1]) if len(widths) > 1
                                          else (E, E))
    assert (module.in_proj_bias is not None) == layer.use_bias
    assert module.dropout == layer.dropout
    assert torch_count(net) == model.params == model.to_keras().count_params()


@pytest.mark.parametrize("build", list(EXPORTED.values()), ids=list(EXPORTED))
def test_the_exported_module_computes_kerass_values_with_kerass_weights(build):
    assert_pytorch_computes_what_keras_computes(build())


@pytest.mark.parametrize("build", list(EXPORTED.values()), ids=list(EXPORTED))
def test_from_torch_of_the_export_gives_the_counts_shape_and_macs_back(build):
    model = build()
    back = sc.from_torch(model.to_torch(), input_shape=[transposed(t.shape)
                                                        for t in model.inputs])
    assert (back.params, back.trainable_params, back.macs) == \
        (model.params, model.trainable_params, model.macs)
    assert back.output_shape == transposed(model.output_shape)


def test_the_reproducer_a_torch_attention_imported_exports_as_itself():
    """``from_torch`` of ``nn.MultiheadAttention(8, 2, batch_first=True)`` and back: the
    same module, whose weights, copied over, give the original's values."""
    class Self(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.MultiheadAttention(E, 2, batch_first=True)

        def forward(self, x):
            return self.a(x, x, x, need_weights=False)[0]

    original = Self().eval()
    model = sc.from_torch(original, input_shape=(T, E))
    net = model.to_torch().eval()
    exported = net.get_submodule("a")
    assert torch_count(net) == torch_count(original) == model.params
    exported.load_state_dict(original.a.state_dict())
    x = torch.randn(2, T, E)
    with torch.no_grad():  # the model states PyTorch's layout: the module reads (N, T, E)
        np.testing.assert_allclose(net(x).numpy(), original(x).numpy(), rtol=1e-5, atol=1e-6)


def test_symbolic_sizes_are_substituted_first():
    d = sc.symbols("d")
    x = sc.Input(("T", 2 * d))
    model = sc.Model(x, sc.MultiHeadAttention(2, d, name="mha")(x, x))
    with pytest.raises(sc.ConversionError, match="Substitute them first"):
        model.to_torch()
    numeric = model.subs(T=T, d=4)
    assert torch_count(numeric.to_torch()) == numeric.params == model.params.subs(d, 4)
    assert_pytorch_computes_what_keras_computes(numeric)


def test_a_frozen_attention_exports_frozen():
    x = sc.Input((T, E))
    model = sc.Model(x, sc.MultiHeadAttention(2, 4, trainable=False, name="mha")(x, x))
    net = model.to_torch()
    assert not any(p.requires_grad for p in net.parameters())
    assert model.trainable_params == 0 and torch_count(net) == model.params


def test_vits_encoder_block_exports_with_kerass_values():
    """ViT's encoder block: layer norms, self-attention, MLP with GELU, residuals."""
    model = encoder_block(T, E, 2, 16)
    net = model.to_torch()
    assert torch_count(net) == model.params
    assert_pytorch_computes_what_keras_computes(model)
    back = sc.from_torch(net, input_shape=transposed(model.input_shape))
    assert (back.params, back.macs) == (model.params, model.macs)


def test_vit_exports_with_every_attention_as_nn_multihead_attention():
    """Every attention of a small ViT qualifies, and with its class token and position
    embedding exported too (tests/interop/test_torch_export_tokens.py) the whole ViT
    exports, with symcnn's count."""
    model = sc.zoo.vit(4, E, 2, 2, 16, input_shape=(8, 8, 3), classes=5)
    module = model.to_torch()
    assert torch_count(module) == model.params
    attentions = [m for name, m in module.named_modules() if name.endswith("self_attention")]
    assert len(attentions) == 2
    assert all(isinstance(m, torch.nn.MultiheadAttention) for m in attentions)


def refusal(model) -> str:
    """The one line of ``model.to_torch()``'s ConversionError naming a layer."""
    with pytest.raises(sc.ConversionError) as info:
        model.to_torch()
    (line,) = [l for l in str(info.value).splitlines() if l.startswith("  - layer")]
    return line


def torch_module_count(model) -> int:
    """The count of the nn.MultiheadAttention the export would have to build: embed_dim
    the query's width, kdim/vdim the key's and value's."""
    widths = [int(t.shape[-1]) for t in model.inputs]
    kdim, vdim = (widths[-1], widths[1]) if len(widths) > 1 else (widths[0],) * 2
    layer = model.layers[-1].layer
    module = torch.nn.MultiheadAttention(widths[0], int(layer.num_heads), kdim=kdim, vdim=vdim,
                                         bias=layer.use_bias, batch_first=True)
    return torch_count(module)


#: (model, the reason in the refusal): the counts differ from any nn.MultiheadAttention's.
COUNTS_DIFFER = {
    "value_dim": (lambda: attention([E], value_dim=6),
                  "value_dim=6 differs from key_dim=4: nn.MultiheadAttention projects the "
                  "values to embed_dim/num_heads per head, as the keys"),
    "heads times key_dim": (lambda: attention([E], key_dim=3),
                            "num_heads*key_dim = 2*3 = 6 differs from the query's width 8: "
                            "nn.MultiheadAttention's heads split its embed_dim, the query's "
                            "width"),
    "output_shape": (lambda: attention([E], output_shape=10),
                     "output_shape=10 differs from the query's width 8: "
                     "nn.MultiheadAttention's output projection gives embed_dim features"),
    "use_gate": (lambda: attention([E], use_gate=True),
                 "use_gate=True: Keras multiplies the heads' output by a sigmoid gate "
                 "projected from the query (its own kernel and bias), nn.MultiheadAttention "
                 "has no gate"),
}


@pytest.mark.parametrize("build, reason", list(COUNTS_DIFFER.values()), ids=list(COUNTS_DIFFER))
def test_a_layer_whose_count_no_torch_module_has_is_refused_with_the_reason(build, reason):
    model = build()
    assert model.to_keras().count_params() == model.params != torch_module_count(model)
    assert refusal(model) == f"  - layer 'mha' (MultiHeadAttention): {reason}"


def test_every_reason_is_given_at_once():
    line = refusal(attention([E], key_dim=3, value_dim=5, output_shape=(2, 3)))
    assert "num_heads*key_dim = 2*3 = 6 differs" in line
    assert "value_dim=5 differs from key_dim=3" in line
    assert "output_shape=(2, 3) differs from the query's width 8" in line


def keras_self_attention(call=None, **options):
    """Keras' self-attention of 2 heads of 4 on a fixed ``(2, T, E)`` input with fixed random
    weights, built with ``options`` and called with ``call`` (the weights' shapes are the
    same whatever these say)."""
    rng = np.random.default_rng(1)
    layer = keras.layers.MultiHeadAttention(2, 4, **options)
    k = keras.Input((T, E))
    kmodel = keras.Model(k, layer(k, k, **(call or {})))
    randomize(kmodel, rng)
    return np.asarray(kmodel(rng.standard_normal((2, T, E)).astype("float32")).detach())


def test_a_sliding_window_is_refused_as_keras_attends_to_fewer_keys():
    model = attention([E], sliding_window=2)
    assert model.params == torch_module_count(model)  # the count is not the reason:
    assert not np.allclose(keras_self_attention(sliding_window=2), keras_self_attention(),
                           atol=1e-3)  # the values are
    assert refusal(model) == ("  - layer 'mha' (MultiHeadAttention): sliding_window=2: Keras "
                              "attends each query only to the keys fewer than 2 positions "
                              "away, nn.MultiheadAttention to every key")


@pytest.mark.parametrize("axes", [None, (2,), (1, 2)])
def test_attention_over_a_rank_3_input_is_refused(axes):
    x = sc.Input((4, 4, E))
    model = sc.Model(x, sc.MultiHeadAttention(2, 4, attention_axes=axes, name="mha")(x, x))
    model.to_keras()  # Keras builds it
    shown = (1, 2) if axes is None else axes
    assert refusal(model) == (f"  - layer 'mha' (MultiHeadAttention): a query of shape "
                              f"(4, 4, 8) attended over axes {shown}: "
                              f"nn.MultiheadAttention(batch_first=True) takes sequences "
                              f"(N, T, E) and attends over T")


def test_a_masked_call_is_refused_as_to_keras_refuses_it():
    x = sc.Input((T, E))
    model = sc.Model(x, sc.MultiHeadAttention(2, 4, name="mha")(x, x, use_causal_mask=True))
    line = refusal(model)
    assert line.startswith("  - layer 'mha' (MultiHeadAttention): called with "
                           "use_causal_mask=True: masks change no shape")
    with pytest.raises(sc.ConversionError) as err:
        model.to_keras()
    assert line.split(": ", 1)[1] in str(err.value)
    assert not np.allclose(keras_self_attention({"use_causal_mask": True}),
                           keras_self_attention(), atol=1e-3)


def test_an_attention_after_a_keras_mask_is_refused_as_keras_leaves_masked_keys_out():
    """Keras' attention reads the mask ``Embedding(mask_zero=True)`` hands on: with zeros in
    the ids its values differ from the unmasked layer's, which PyTorch's module computes."""
    def keras_model(mask_zero):
        ids = keras.Input((T,), dtype="int32")
        x = keras.layers.Embedding(10, E, mask_zero=mask_zero, name="emb")(ids)
        return keras.Model(ids, keras.layers.MultiHeadAttention(2, 4, name="mha")(x, x))

    masked, plain = keras_model(True), keras_model(False)
    plain.set_weights(masked.get_weights())
    ids = np.array([[1, 2, 0, 0, 3]])
    assert not np.allclose(np.asarray(masked(ids).detach()), np.asarray(plain(ids).detach()),
                           atol=1e-4)
    ours = sc.from_keras(masked)
    assert ours.params == masked.count_params()
    assert refusal(ours) == ("  - layer 'mha' (MultiHeadAttention): its input may carry the "
                             "mask of Embedding 'emb': Keras' MultiHeadAttention leaves the "
                             "masked keys out of the attention, PyTorch's "
                             "nn.MultiheadAttention attends to every key")
    assert torch_count(sc.from_keras(plain).to_torch()) == plain.count_params()
