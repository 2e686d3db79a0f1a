"""MultiHeadAttention: Keras 3's shapes and counts, and MACs = FlopCounterMode / 2.

Random configurations (heads, key and value widths, output_shape as an int or a tuple, bias,
gate, attention_axes, cross-attention with a separate key) are built in real Keras 3 (torch
backend) and in symcnn; the output shape, the parameter count and the MACs must agree, the
MACs against PyTorch's FlopCounterMode run on the Keras layer itself (grad enabled, math
attention kernel). ``nn.MultiheadAttention`` is the second reference.
"""

import warnings

import pytest
import sympy
from hypothesis import given, settings, strategies as st

import symcnn as sc

from ..conftest import require
from ..support.flops import torch_macs


def test_self_attention_is_4d2_plus_4d_params_and_2n2d_attention_macs():
    N, d, h = sc.symbols("N d h")
    x = sc.Input((N, d * h))
    m = sc.Model(x, sc.MultiHeadAttention(num_heads=h, key_dim=d)(x, x))
    D = d * h
    assert m.params == sympy.expand(4 * D**2 + 4 * D)
    assert m.macs == sympy.expand(4 * N * D**2 + 2 * N**2 * D)
    assert m.output_shape == (N, D)


def test_key_defaults_to_value_and_a_separate_key_changes_only_the_key_projection():
    q, v, k = sc.Input((5, 8)), sc.Input((7, 6)), sc.Input((7, 3))
    mha = sc.MultiHeadAttention(num_heads=2, key_dim=4)
    two = sc.Model([q, v], mha(q, v))
    three = sc.Model([q, v, k], sc.MultiHeadAttention(num_heads=2, key_dim=4)(q, v, k))
    assert two.params - three.params == (6 - 3) * 2 * 4
    assert two.output_shape == three.output_shape == (5, 8)


def test_a_key_without_a_value_is_refused_as_keras_refuses_it():
    """``mha(q, key=k)`` took the key as the value (208 parameters); Keras refuses the
    call, as its ``value`` has no default."""
    keras = require("keras")
    with pytest.raises(TypeError, match="value"):
        keras.layers.MultiHeadAttention(2, 4)(keras.Input((5, 8)), key=keras.Input((7, 3)))
    q, k = sc.Input((5, 8)), sc.Input((7, 3))
    with pytest.raises(sc.LayerArgumentError, match=r"MultiHeadAttention layer: a `key` needs "
                                                    r"a `value`.*Received: key=Tensor, "
                                                    r"value=None"):
        sc.MultiHeadAttention(2, 4)(q, key=k)


def test_a_list_call_is_the_keras_config_form():
    q, v = sc.Input((5, 8)), sc.Input((7, 8))
    assert sc.MultiHeadAttention(2, 4)([q, v]).shape == sc.MultiHeadAttention(2, 4)(q, v).shape


def test_sizes_may_be_symbols_and_substitute():
    T, S, h = sc.symbols("T S h")
    q, v = sc.Input((T, 16)), sc.Input((S, 16))
    m = sc.Model([q, v], sc.MultiHeadAttention(num_heads="h", key_dim=4)(q, v))
    numeric = m.subs(T=3, S=5, h=2)
    assert m.params == 268 * h + 16
    assert numeric.params == 552
    assert numeric.macs == m.macs.subs({T: 3, S: 5, h: 2}) == 3 * 16 * 8 * 2 + 2 * 5 * 16 * 8 \
        + 3 * 5 * 2 * 8


@pytest.mark.parametrize("kwargs, message", [
    (dict(num_heads=0, key_dim=4), "num_heads=0"),
    (dict(num_heads=2, key_dim=2.5), "key_dim=2.5"),
    (dict(num_heads=2, key_dim=4, dropout=1.0), "dropout=1.0"),
    (dict(num_heads=2, key_dim=4, attention_axes="x"), "attention_axes='x'"),
    (dict(num_heads=2, key_dim=4, use_bias="yes"), "use_bias='yes'"),
])
def test_bad_arguments_name_the_layer_the_argument_and_the_value(kwargs, message):
    with pytest.raises(sc.LayerArgumentError, match="MultiHeadAttention") as err:
        sc.MultiHeadAttention(**kwargs)
    assert message in str(err.value)


def test_bad_shapes_name_the_layer_and_the_shapes():
    q, v = sc.Input((5, 8)), sc.Input((7, 3, 8))
    with pytest.raises(sc.ShapeError, match="MultiHeadAttention.*same rank"):
        sc.MultiHeadAttention(2, 4)(q, v)
    x, y = sc.Input((5, 4, 8)), sc.Input((5, 3, 8))
    with pytest.raises(sc.ShapeError, match="not attended over; axis 2"):
        sc.MultiHeadAttention(2, 4, attention_axes=1)(x, y)
    with pytest.raises(sc.ShapeError, match="attention_axes"):
        sc.MultiHeadAttention(2, 4, attention_axes=3)(x, x)
    with pytest.raises(sc.LayerArgumentError, match="mha\\(query, value\\)"):
        sc.MultiHeadAttention(2, 4)(x)


@st.composite
def attention_cases(draw, contracted=2):
    """Random configurations; ``contracted`` bounds every size a product sums over (widths,
    key_dim, value_dim, attended key positions) from below: PyTorch's einsum turns a sum over
    one term into an element-wise multiply, which FlopCounterMode does not count."""
    rank = draw(st.integers(2, 3))
    kwargs = {"num_heads": draw(st.integers(1, 3)), "key_dim": draw(st.integers(contracted, 5))}
    if draw(st.booleans()):
        kwargs["value_dim"] = draw(st.integers(contracted, 5))
    out = draw(st.sampled_from(["none", "int", "tuple"]))
    if out == "int":
        kwargs["output_shape"] = draw(st.integers(1, 6))
    elif out == "tuple":
        kwargs["output_shape"] = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    kwargs["use_bias"] = draw(st.booleans())
    kwargs["use_gate"] = draw(st.booleans())
    seq = list(range(1, rank))
    if rank == 3 and draw(st.booleans()):
        kwargs["attention_axes"] = tuple(draw(st.sets(st.sampled_from(seq), min_size=1)))
    axes = kwargs.get("attention_axes", tuple(seq))
    query = tuple(draw(st.integers(1, 5)) for _ in range(rank))
    # key and value: the query's sizes on the axes not attended over, any size on the others
    query = (*query[:-1], draw(st.integers(contracted, 6)))
    value = tuple(draw(st.integers(contracted, 5)) if a + 1 in axes else query[a]
                  for a in range(rank - 1))
    value_width, key_width = draw(st.integers(contracted, 6)), draw(st.integers(contracted, 6))
    shapes = [query, (*value, value_width)]
    if draw(st.booleans()):
        shapes.append((*value, key_width))
    return kwargs, shapes


@pytest.mark.frameworks
@settings(max_examples=40, deadline=None)
@given(case=attention_cases())
def test_random_attention_layers_agree_with_keras_in_shape_count_and_flop_counter_macs(case):
    # sums over a single term are left out: see attention_cases and the test below
    keras = require("keras")
    torch = require("torch")
    kwargs, shapes = case
    theirs = keras.layers.MultiHeadAttention(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tensors = [torch.randn(1, *s) for s in shapes]
        real_shape = tuple(theirs(*tensors).shape[1:])
        real_macs = torch_macs(theirs, *tensors)
    inputs = [sc.Input(s) for s in shapes]
    out = sc.MultiHeadAttention(**kwargs)(*inputs)
    model = sc.Model(inputs, out)
    assert out.shape == real_shape
    assert model.params == theirs.count_params()
    assert model.macs == real_macs


@pytest.mark.frameworks
@pytest.mark.parametrize("n, d, heads", [(6, 8, 2), (10, 12, 3), (1, 4, 4)])
def test_self_attention_matches_torch_multihead_attention(n, d, heads):
    torch = require("torch")
    ref = torch.nn.MultiheadAttention(d, heads, batch_first=True)
    x = torch.randn(1, n, d)
    t = sc.Input((n, d))
    model = sc.Model(t, sc.MultiHeadAttention(num_heads=heads, key_dim=d // heads)(t, t))
    assert model.params == sum(p.numel() for p in ref.parameters())
    assert model.macs == torch_macs(lambda a: ref(a, a, a, need_weights=False), x)


@pytest.mark.frameworks
def test_flop_counter_misses_attention_without_grad_which_is_why_the_convention_fixes_it():
    torch = require("torch")
    from torch.utils.flop_counter import FlopCounterMode

    ref = torch.nn.MultiheadAttention(8, 2, batch_first=True).eval()
    x = torch.randn(1, 6, 8)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        ref(x, x, x, need_weights=False)  # PyTorch's fused fast path
    t = sc.Input((6, 8))
    ours = sc.Model(t, sc.MultiHeadAttention(2, 4)(t, t)).macs
    assert counter.get_total_flops() // 2 < ours


@pytest.mark.frameworks
def test_a_sum_over_one_term_is_a_mac_here_but_not_in_torch_einsum():
    # documented in docs/costs.md: with key_dim=1 torch.einsum multiplies element-wise
    keras, torch = require("keras"), require("torch")
    theirs = keras.layers.MultiHeadAttention(num_heads=1, key_dim=1, use_bias=False)
    x = torch.randn(1, 1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real = torch_macs(theirs, x, x)
    t = sc.Input((1, 1))
    ours = sc.Model(t, sc.MultiHeadAttention(1, 1, use_bias=False)(t, t)).macs
    assert ours == 6 and real < ours  # 4 projections + 2 products of 1 MAC each
