"""``symcnn.nn.MultiheadAttention`` is ``torch.nn.MultiheadAttention``: the same arguments,
call ``(query, key, value)``, parameters, output shape, MACs (``FlopCounterMode`` / 2 on a
training call) and training memory (saved tensors of its ``to_torch`` export), at integers
and as closed forms in symbolic ``L``, ``S``, ``E``."""

from __future__ import annotations

import pytest

import symcnn as sc
from tests.conftest import require

torch = require("torch")
from torch import nn  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from tests.support.saved_tensors import Unpacked, measure  # noqa: E402

L, S, E, B = sc.symbols("L S E B")

CONFIGS = [dict(), dict(bias=False), dict(kdim=5, vdim=7), dict(kdim=3),
           dict(add_bias_kv=True), dict(add_zero_attn=True),
           dict(add_bias_kv=True, add_zero_attn=True, kdim=3, bias=False), dict(dropout=0.1)]


def _torch_counts(module, n_q, n_k, batch=2):
    """``(params, output shape without the batch axis, MACs per example)`` of a training
    call of the PyTorch module on random inputs."""
    e, kdim, vdim = module.embed_dim, module.kdim, module.vdim
    xs = [torch.randn(batch, n_q, e), torch.randn(batch, n_k, kdim), torch.randn(batch, n_k, vdim)]
    if not module.batch_first:
        xs = [x.transpose(0, 1) for x in xs]
    with FlopCounterMode(display=False) as counter:
        out = module(*xs)[0]
    shape = tuple(out.shape[1:] if module.batch_first else (out.shape[0], out.shape[2]))
    return (sum(p.numel() for p in module.parameters()), shape,
            counter.get_total_flops() // 2 // batch)


def _symbolic_call(embed, heads, config):
    kdim, vdim = config.get("kdim", embed), config.get("vdim", embed)
    q, k, v = sc.Input((L, embed)), sc.Input((S, kdim)), sc.Input((S, vdim))
    return sc.Model([q, k, v], sc.nn.MultiheadAttention(embed, heads, **config)(q, k, v))


def test_sc_nn_has_multihead_attention_as_torch_names_it():
    assert sc.nn.MultiheadAttention.type_name == "MultiheadAttention"
    assert "MultiheadAttention" in sc.nn.__all__


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_params_shape_and_macs_are_pytorchs_at_integers(config, batch_first):
    model = _symbolic_call(12, 3, dict(config, batch_first=batch_first))
    torch.manual_seed(0)
    module = nn.MultiheadAttention(12, 3, batch_first=batch_first, **config)
    for n_q, n_k in [(1, 1), (4, 6), (7, 3)]:
        params, shape, macs = _torch_counts(module, n_q, n_k)
        at = model.subs(L=n_q, S=n_k)
        assert (at.params, at.output_shape, at.macs) == (params, shape, macs), (n_q, n_k)


@pytest.mark.parametrize("config", [dict(), dict(bias=False), dict(add_bias_kv=True),
                                    dict(add_zero_attn=True)])
def test_closed_forms_in_symbolic_L_S_E_equal_pytorch(config):
    model = _symbolic_call(E, 4, config)
    assert model.free_symbols == {L, S, E}
    assert model.output_shape == (L, E)
    for embed, n_q, n_k in [(4, 2, 3), (8, 5, 1), (12, 3, 6)]:
        params, shape, macs = _torch_counts(nn.MultiheadAttention(embed, 4, **config), n_q, n_k)
        values = {E: embed, L: n_q, S: n_k}
        assert model.params.subs(values) == params
        assert tuple(d.subs(values) for d in model.output_shape) == shape
        assert model.macs.subs(values) == macs


def test_symbolic_embed_dim_records_that_num_heads_divides_it():
    x = sc.Input((L, E))
    model = sc.Model(x, sc.nn.MultiheadAttention(E, 8)(x, x, x))
    assert len(model.constraints) == 1
    assert [model.constraints[0].subs(E, e) for e in (16, 12)] == [True, False]


def test_pytorchs_checks_with_pytorchs_names():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(sc.LayerArgumentError, match="embed_dim must be divisible by num_heads. "
                                                    "Received: embed_dim=10, num_heads=3"):
        sc.nn.MultiheadAttention(10, 3)
    x, kv = sc.Input((4, 8)), sc.Input((4, 5))
    with pytest.raises(sc.ShapeError, match="`kdim` is 8 but the key has 5 features"):
        sc.nn.MultiheadAttention(8, 2)(x, kv, x)
    with pytest.raises(sc.ShapeError, match="`vdim` is 5 but the value has 8 features"):
        sc.nn.MultiheadAttention(8, 2, kdim=5, vdim=5)(x, kv, x)
    with pytest.raises(sc.ShapeError, match="`embed_dim` is 8 but the query has 5 features"):
        sc.nn.MultiheadAttention(8, 2)(kv, x, x)
    with pytest.raises(sc.ShapeError, match="key and value"):
        sc.nn.MultiheadAttention(8, 2)(x, sc.Input((3, 8)), x)
    with pytest.raises(sc.LayerArgumentError, match="mha\\(query, key, value\\)"):
        sc.nn.MultiheadAttention(8, 2)(x, x)
    with pytest.raises(sc.LayerArgumentError, match="need_weights=False is not modelled"):
        sc.nn.MultiheadAttention(8, 2)(x, x, x, need_weights=False)
    with pytest.raises(sc.LayerArgumentError, match="`batch_first` must be True or False"):
        sc.nn.MultiheadAttention(8, 2, batch_first="yes")


def test_a_masked_call_is_counted_and_noted():
    x = sc.Input((4, 8))
    layer = sc.nn.MultiheadAttention(8, 2)
    y = layer(x, x, x, attn_mask=x)
    assert y.shape == (4, 8) and layer.masked_call == "attn_mask=<tensor>"
    with pytest.raises(sc.ConversionError, match="attn_mask"):
        sc.Model(x, y).to_torch()


def _attend(mode, batch_first, trainable, kdim=None, n_q=L, n_k=S):
    """Linear layers, then the attention as self-attention, key = value, or three tensors."""
    q_in, kv_in = sc.Input((n_q, 8)), sc.Input((n_k, 6))
    q = sc.nn.Linear(8, 8)(q_in)
    mha = sc.nn.MultiheadAttention(8, 2, kdim=kdim, vdim=kdim, batch_first=batch_first,
                                   trainable=trainable)
    if mode == "self":
        return sc.Model(q_in, sc.nn.Linear(8, 3)(mha(q, q, q)))
    v = sc.nn.Linear(6, kdim or 8)(kv_in)
    k = v if mode == "kv" else sc.nn.Linear(kdim or 8, kdim or 8)(v)
    return sc.Model([q_in, kv_in], sc.nn.Linear(8, 3)(mha(q, k, v)))


@pytest.mark.parametrize("mode,kdim", [("self", None), ("kv", None), ("kv", 4), ("qkv", None),
                                       ("qkv", 4)])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("trainable", [True, False])
def test_training_memory_is_what_the_export_keeps(mode, kdim, batch_first, trainable):
    model = _attend(mode, batch_first, trainable, kdim)
    closed = model.training_memory(batch=B).activations
    for n_q, n_k, batch in [(4, 4, 2), (5, 3, 3), (2, 7, 2)]:
        if mode == "self" and n_q != n_k:
            continue
        values = {L: n_q, S: n_k}
        net = model.subs({s: values[s] for s in model.free_symbols}).to_torch()
        xs = [torch.randn(batch, n_q, 8)] + ([] if mode == "self" else [torch.randn(batch, n_k, 6)])
        assert closed.subs({L: n_q, S: n_k, B: batch}) == measure(Unpacked(net), xs)[0]


def test_training_memory_refuses_the_extra_keys():
    x = sc.Input((4, 8))
    model = sc.Model(x, sc.nn.MultiheadAttention(8, 2, add_zero_attn=True)(x, x, x))
    with pytest.raises(sc.CostError, match="add_zero_attn"):
        model.training_memory(batch=2)


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_to_torch_loads_the_modules_state_dict_and_computes_the_same(config, batch_first):
    kdim, vdim = config.get("kdim", 12), config.get("vdim", 12)
    q, k, v = sc.Input((4, 12)), sc.Input((6, kdim)), sc.Input((6, vdim))
    layer = sc.nn.MultiheadAttention(12, 3, batch_first=batch_first, **config)
    net = sc.Model([q, k, v], layer(q, k, v)).to_torch().eval()
    torch.manual_seed(0)
    original = nn.MultiheadAttention(12, 3, batch_first=batch_first, **config).eval()
    exported = net.get_submodule("multihead_attention")
    assert isinstance(exported, nn.MultiheadAttention)
    assert exported.batch_first is batch_first
    exported.load_state_dict(original.state_dict())
    xs = [torch.randn(2, 4, 12), torch.randn(2, 6, kdim), torch.randn(2, 6, vdim)]
    given = xs if batch_first else [x.transpose(0, 1) for x in xs]
    with torch.no_grad():
        want = original(*given)[0]
        want = want if batch_first else want.transpose(0, 1)
        torch.testing.assert_close(net(*xs), want)  # the export is batch first


def test_from_torch_reads_the_export_back_with_the_same_counts():
    x = sc.Input((5, 16))
    model = sc.Model(x, sc.nn.MultiheadAttention(16, 4)(x, x, x))
    back = sc.from_torch(model.to_torch(), (5, 16))
    assert (back.params, back.output_shape, back.macs) == (model.params, model.output_shape,
                                                          model.macs)
    assert back.training_memory(batch=2).activations == model.training_memory(batch=2).activations


def test_model_files_round_trip_it():
    q, kv = sc.Input((L, 16)), sc.Input((S, 6))
    layer = sc.nn.MultiheadAttention(16, 4, kdim=6, vdim=6, add_bias_kv=True, batch_first=True,
                                     name="att")
    model = sc.Model([q, kv], layer(q, kv, kv))
    spec = sc.model_to_spec(model)
    assert spec["layers"][0]["nn.MultiheadAttention"] == {
        "embed_dim": 16, "num_heads": 4, "add_bias_kv": True, "kdim": 6, "vdim": 6,
        "batch_first": True}
    back = sc.model_from_spec(spec)
    again = back.get_layer("att").layer
    assert type(again) is sc.nn.MultiheadAttention and again.get_config() == layer.get_config()
    assert (back.params, back.output_shape, back.macs) == (model.params, model.output_shape,
                                                          model.macs)


def test_subs_and_config_rebuild_it():
    layer = sc.nn.MultiheadAttention(E, 2, kdim="K", dropout=0.1)
    assert layer.get_config() == {"embed_dim": E, "num_heads": 2, "dropout": 0.1,
                                  "kdim": sc.symbols("K")}
    assert sc.nn.MultiheadAttention(**layer.get_config()).get_config() == layer.get_config()
    assert layer.subs({E: 6}).embed_dim == 6
    with pytest.raises(sc.LayerArgumentError, match="embed_dim must be divisible"):
        layer.subs({E: 7})


@pytest.mark.parametrize("heads,n", [(1, 3), (2, 5)])
def test_the_derivation_states_pytorchs_count(heads, n):
    x = sc.Input((n, E))
    model = sc.Model(x, sc.nn.MultiheadAttention(E, heads, add_bias_kv=True)(x, x, x))
    text = model.to_latex()
    assert "4 E^{2} + 6 E" in text
