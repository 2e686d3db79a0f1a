"""Specification of GroupedQueryAttention (Keras 3's ``keras.layers.GroupQueryAttention``):
shapes and parameter counts as Keras counts them, with and without bias and gate, and MACs
by MultiHeadAttention's convention (the projections and both attention products), equal to
PyTorch's FlopCounterMode / 2 on Keras' own call (grad enabled, the math attention kernel).
"""

from __future__ import annotations

import itertools
import warnings

import pytest
import sympy
from hypothesis import given, settings, strategies as st

import symcnn as sc

from ..conftest import require
from ..support.flops import torch_macs

T, S, d, k, g, h = sc.symbols("T S d k g h")


def test_keras_class_and_export_names_are_one_layer():
    assert sc.GroupQueryAttention is sc.GroupedQueryAttention
    layer = sc.GroupQueryAttention(head_dim=8, num_query_heads=4, num_key_value_heads=2)
    assert layer.type_name == "GroupedQueryAttention"
    x = sc.Input((T, 32))
    assert sc.Model(x, layer(x, x)).layers[-1].name == "grouped_query_attention"


def test_counts_are_the_four_projections_with_h_kv_key_and_value_heads():
    """``d*h_q*k + 2*d*h_kv*k + h_q*k*d`` kernels and ``h_q*k + 2*h_kv*k + d`` biases for
    self-attention; the attention products run over the ``h_q`` query heads."""
    x = sc.Input((T, d))
    m = sc.Model(x, sc.GroupedQueryAttention(k, g * h, h)(x, x))
    assert m.output_shape == (T, d)
    assert m.params == sympy.expand(2 * d * g * h * k + 2 * d * h * k + g * h * k + 2 * h * k + d)
    assert m.macs == sympy.expand(T * (2 * d * g * h * k + 2 * d * h * k) + 2 * T**2 * g * h * k)


def test_without_bias_only_kernels_count_and_a_gate_adds_a_query_projection():
    x = sc.Input((T, d))
    plain = sc.Model(x, sc.GroupedQueryAttention(k, g * h, h, use_bias=False)(x, x))
    gated = sc.Model(x, sc.GroupedQueryAttention(k, g * h, h, use_bias=False,
                                                 use_gate=True)(x, x))
    assert plain.params == sympy.expand(2 * d * g * h * k + 2 * d * h * k)
    assert gated.params - plain.params == d * g * h * k
    assert gated.macs - plain.macs == T * d * g * h * k


def test_as_many_key_value_heads_as_query_heads_is_multi_head_attention():
    x = sc.Input((T, 48))
    gqa = sc.Model(x, sc.GroupedQueryAttention(8, 6, 6)(x, x))
    mha = sc.Model(x, sc.MultiHeadAttention(num_heads=6, key_dim=8)(x, x))
    assert (gqa.params, gqa.macs, gqa.output_shape) == (mha.params, mha.macs, mha.output_shape)


def test_cross_attention_reads_a_key_of_its_own_width():
    q, v, key = sc.Input((T, 32)), sc.Input((S, 32)), sc.Input((S, 12))
    m = sc.Model([q, v, key], sc.GroupedQueryAttention(8, 4, 1)([q, v, key]))
    assert m.output_shape == (T, 32)
    assert m.params == 32 * 32 + 12 * 8 + 32 * 8 + 32 * 32 + (32 + 8 + 8 + 32)
    assert m.macs == T * 32 * 32 + S * (12 + 32) * 8 + T * 32 * 32 + 2 * T * S * 32


def test_the_derivation_states_the_projections_in_kerass_names():
    x = sc.Input((T, 64))
    step = sc.Model(x, sc.GroupedQueryAttention(16, 4, 2)(x, x)).layers[-1].derivation.params
    assert str(step.formula) == "d*h_q*k + (d_k + d_v)*h_kv*k + h_q*k*d + h_q*k + 2*h_kv*k + d"
    assert step.value == 12480 and step.evaluate() == step.value


@pytest.mark.parametrize("kwargs, message", [
    (dict(head_dim=0, num_query_heads=4, num_key_value_heads=2), "head_dim=0"),
    (dict(head_dim=8, num_query_heads=6, num_key_value_heads=4),
     r"`num_query_heads` must be divisible by `num_key_value_heads`.*num_query_heads=6, "
     r"num_key_value_heads=4"),
    (dict(head_dim=8, num_query_heads=4, num_key_value_heads=2, dropout=1.5), "dropout=1.5"),
    (dict(head_dim=8, num_query_heads=4, num_key_value_heads=2, dropout=0.1,
          flash_attention=True), "dropout is not supported with flash attention"),
    (dict(head_dim=8, num_query_heads=4, num_key_value_heads=2, use_bias=1), "use_bias=1"),
    (dict(head_dim=8, num_query_heads=4, num_key_value_heads=2, sliding_window=0),
     "sliding_window=0"),
])
def test_bad_arguments_name_the_layer_the_argument_and_the_value(kwargs, message):
    with pytest.raises(sc.LayerArgumentError, match=rf"GroupedQueryAttention: .*{message}"):
        sc.GroupQueryAttention(**kwargs)


def test_symbolic_heads_must_divide_as_a_recorded_constraint():
    x = sc.Input((T, 32))
    m = sc.Model(x, sc.GroupedQueryAttention(8, "a", "b")(x, x))
    assert len(m.constraints) == 1 and "b" in str(m.constraints[0])


def test_shapes_keras_refuses_are_refused():
    with pytest.raises(sc.ShapeError, match=r"the query and the value must have the same "
                                            r"width.*query shape \(5, 32\), value shape "
                                            r"\(7, 16\)"):
        sc.GroupedQueryAttention(8, 4, 2)(sc.Input((5, 32)), sc.Input((7, 16)))
    with pytest.raises(sc.ShapeError, match=r"expects sequences of rank 2"):
        sc.GroupedQueryAttention(8, 4, 2)(sc.Input((2, 5, 32)), sc.Input((2, 5, 32)))
    with pytest.raises(sc.LayerArgumentError, match=r"a `key` needs a `value`"):
        sc.GroupedQueryAttention(8, 4, 2)(sc.Input((5, 32)), key=sc.Input((5, 32)))


def test_masks_are_noted_and_scores_refused():
    x = sc.Input((5, 32))
    layer = sc.GroupedQueryAttention(8, 4, 2)
    assert layer(x, x, use_causal_mask=True).shape == (5, 32)
    assert layer.masked_call == "use_causal_mask=True"
    with pytest.raises(sc.LayerArgumentError, match=r"return_attention_scores=True is not "
                                                    r"supported"):
        sc.GroupedQueryAttention(8, 4, 2)(x, x, return_attention_scores=True)


def test_receptive_field_is_undefined_and_training_memory_names_the_layer():
    x = sc.Input(("T", 32))
    m = sc.Model(x, sc.GroupedQueryAttention(8, 4, 2, name="gqa")(x, x))
    assert m.receptive_field is None
    with pytest.raises(sc.CostError, match=r"GroupedQueryAttention layer 'gqa': what it keeps "
                                           r"for backward is not stated"):
        m.training_memory()


# ----------------------------------------------------------------------- against Keras 3


@st.composite
def gqa_cases(draw):
    """Heads (``h_q`` a multiple of ``h_kv``), head_dim, bias, gate, lengths, widths and a
    key of its own width or none. Contracted sizes from 2 (PyTorch's einsum turns a sum over
    one term into an element-wise product, which FlopCounterMode does not count)."""
    h_kv = draw(st.integers(1, 3))
    kwargs = {"head_dim": draw(st.integers(2, 5)), "num_key_value_heads": h_kv,
              "num_query_heads": h_kv * draw(st.integers(1, 3)),
              "use_bias": draw(st.booleans()), "use_gate": draw(st.booleans())}
    t_q, t_v, width = draw(st.integers(1, 5)), draw(st.integers(2, 6)), draw(st.integers(2, 8))
    shapes = [(t_q, width), (t_v, width)]
    if draw(st.booleans()):
        shapes.append((t_v, draw(st.integers(2, 6))))
    return kwargs, shapes


@pytest.mark.frameworks
@settings(max_examples=30, deadline=None)
@given(case=gqa_cases())
def test_random_layers_agree_with_keras_in_shape_count_and_flop_counter_macs(case):
    keras = require("keras")
    torch = require("torch")
    kwargs, shapes = case
    theirs = keras.layers.GroupQueryAttention(**kwargs)
    tensors = [torch.randn(1, *s) for s in shapes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real = theirs(*tensors)
        real_macs = torch_macs(theirs, *tensors)
    inputs = [sc.Input(s) for s in shapes]
    out = sc.GroupQueryAttention(**kwargs)(*inputs)
    model = sc.Model(inputs, out)
    assert out.shape == tuple(real.shape[1:])
    assert model.params == theirs.count_params()
    assert model.macs == real_macs


@pytest.mark.frameworks
@pytest.mark.parametrize("use_bias", [True, False])
def test_symbolic_lengths_equal_keras_at_every_integer_length(use_bias):
    keras = require("keras")
    torch = require("torch")
    q, v = sc.Input((T, 24)), sc.Input((S, 24))
    model = sc.Model([q, v], sc.GroupQueryAttention(4, 6, 2, use_bias=use_bias)(q, v))
    for t, s in itertools.product((1, 2, 7), (3, 6)):
        theirs = keras.layers.GroupQueryAttention(4, 6, 2, use_bias=use_bias)
        tensors = [torch.randn(1, t, 24), torch.randn(1, s, 24)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            real = theirs(*tensors)
            real_macs = torch_macs(theirs, *tensors)
        at = {T: t, S: s}
        assert tuple(x.subs(at) for x in model.output_shape) == tuple(real.shape[1:])
        assert model.params == theirs.count_params()
        assert model.macs.subs(at) == model.subs(T=t, S=s).macs == real_macs
