"""Specification of Attention (Luong-style) and AdditiveAttention (Bahdanau-style): Keras 3's
shapes and parameter counts, MACs = the multiply-accumulates of Keras' own call, and what a
training step keeps for backward, each checked against Keras 3 (torch backend).

MACs: for ``Attention`` PyTorch's ``FlopCounterMode`` / 2 on Keras' call itself (grad
enabled, the math attention kernel). ``AdditiveAttention`` computes its scores as
``sum(scale * tanh(q + k))``, an element-wise product and a sum that ``FlopCounterMode`` does
not see: its reference is the same computation written as a matrix product
(``tanh(q + k) @ scale``), whose output is checked to be Keras' own.
"""

from __future__ import annotations

import itertools
import os
import warnings

import pytest
import sympy
from hypothesis import given, settings, strategies as st

import symcnn as sc

from ..conftest import require
from ..support.flops import torch_macs

Tq, Tv, d = sc.symbols("T_q T_v d")


def test_dot_attention_has_no_weights_and_two_products_of_t_q_by_t_v():
    q, v = sc.Input((Tq, d)), sc.Input((Tv, d))
    m = sc.Model([q, v], sc.Attention()([q, v]))
    assert (m.output_shape, m.params, m.macs) == ((Tq, d), 0, 2 * Tq * Tv * d)


def test_the_output_has_the_query_positions_and_the_value_width():
    q, v, k = sc.Input((Tq, 16)), sc.Input((Tv, "e")), sc.Input((Tv, 16))
    out = sc.Attention()([q, v, k])
    assert out.shape == (Tq, sc.symbols("e"))


def test_use_scale_and_concat_add_one_learned_scalar_each_and_concat_scores_are_no_macs():
    q, v = sc.Input((Tq, d)), sc.Input((Tv, d))
    counts = {}
    for use_scale, mode in itertools.product((False, True), ("dot", "concat")):
        m = sc.Model([q, v], sc.Attention(use_scale=use_scale, score_mode=mode)([q, v]))
        counts[use_scale, mode] = (m.params, m.macs)
    assert counts == {(False, "dot"): (0, 2 * Tq * Tv * d), (True, "dot"): (1, 2 * Tq * Tv * d),
                      (False, "concat"): (1, Tq * Tv * d), (True, "concat"): (2, Tq * Tv * d)}


def test_additive_scale_is_one_weight_per_query_feature_and_its_dot_product_is_macs():
    q, v = sc.Input((Tq, d)), sc.Input((Tv, d))
    scaled = sc.Model([q, v], sc.AdditiveAttention()([q, v]))
    plain = sc.Model([q, v], sc.AdditiveAttention(use_scale=False)([q, v]))
    assert (scaled.params, scaled.macs) == (d, 2 * Tq * Tv * d)
    assert (plain.params, plain.macs) == (0, Tq * Tv * d)


def test_leading_axes_multiply_the_macs_and_must_agree():
    q, v = sc.Input((3, Tq, d)), sc.Input((3, Tv, d))
    m = sc.Model([q, v], sc.Attention()([q, v]))
    assert (m.output_shape, m.macs) == ((3, Tq, d), 6 * Tq * Tv * d)
    with pytest.raises(sc.ShapeError, match=r"Attention layer on input shape .*axes before the "
                                            r"positions; axis 1 differs"):
        sc.Attention()([sc.Input((3, 4, 8)), sc.Input((2, 5, 8))])


def test_the_derivation_names_keras_weights():
    q, v = sc.Input((Tq, d)), sc.Input((Tv, d))
    additive = sc.Model([q, v], sc.AdditiveAttention()([q, v])).layers[-1].derivation
    assert str(additive.params.formula) == "d" and additive.params.value == d
    concat = sc.Model([q, v], sc.Attention(True, "concat")([q, v])).layers[-1].derivation
    assert concat.params.value == 2 and "concat_score_weight" in " ".join(concat.notes)


@pytest.mark.parametrize("kwargs, message", [
    (dict(score_mode="Dot"), r"`score_mode` must be 'dot' or 'concat'.*score_mode='Dot'"),
    (dict(score_mode="general"), r"score_mode='general'"),
    (dict(use_scale="yes"), r"`use_scale` must be True or False.*use_scale='yes'"),
    (dict(dropout=1.0), r"`dropout` must be a number in \[0, 1\).*dropout=1.0"),
    (dict(dropout=-0.1), r"dropout=-0.1"),
    (dict(units=3), r"unexpected argument `units`"),
])
def test_bad_arguments_name_the_layer_the_argument_and_the_value(kwargs, message):
    for cls in (sc.Attention, sc.AdditiveAttention):
        if "score_mode" in kwargs and cls is sc.AdditiveAttention:
            continue
        with pytest.raises(sc.LayerArgumentError, match=rf"{cls.__name__}: .*{message}"):
            cls(**kwargs)


def test_additive_attention_has_no_score_mode_as_in_keras():
    with pytest.raises(sc.LayerArgumentError, match="AdditiveAttention: unexpected argument "
                                                    "`score_mode`"):
        sc.AdditiveAttention(score_mode="dot")
    assert "score_mode" not in sc.AdditiveAttention().get_config()


def test_it_is_called_on_a_list_of_two_or_three_tensors_as_in_keras():
    q, v = sc.Input((5, 8)), sc.Input((7, 8))
    with pytest.raises(sc.LayerArgumentError, match=r"Attention layer: call it on a list of "
                                                    r"tensors, \[query, value\]"):
        sc.Attention()(q)
    with pytest.raises(sc.LayerArgumentError, match=r"\[query, value, key\]"):
        sc.AdditiveAttention()([q, v, v, v])
    with pytest.raises(sc.LayerArgumentError, match=r"as Keras does \(a second tensor went to "
                                                    r"`mask`\)"):
        sc.Attention()(q, v)  # Keras: the second tensor is the mask


def test_shapes_that_do_not_fit_are_refused_with_the_shapes():
    with pytest.raises(sc.ShapeError, match=r"query and key must have the same width.*query "
                                            r"shape \(5, 8\), key shape \(7, 6\)"):
        sc.Attention()([sc.Input((5, 8)), sc.Input((7, 6))])
    with pytest.raises(sc.ShapeError, match=r"key and value must have as many positions"):
        sc.AdditiveAttention()([sc.Input((5, 8)), sc.Input((7, 8)), sc.Input((6, 8))])
    with pytest.raises(sc.ShapeError, match=r"same rank"):
        sc.Attention()([sc.Input((5, 8)), sc.Input((2, 7, 8))])
    S, R = sc.symbols("S R")  # symbolic lengths that may differ: a recorded constraint
    q, v, k = sc.Input(("T", 8)), sc.Input((S, 8)), sc.Input((R, 8))
    m = sc.Model([q, v, k], sc.Attention()([q, v, k]))
    assert m.constraints in ([sympy.Eq(R, S)], [sympy.Eq(S, R)])


def test_return_attention_scores_is_refused_as_a_second_output_symcnn_does_not_model():
    q, v = sc.Input((5, 8)), sc.Input((7, 8))
    with pytest.raises(sc.LayerArgumentError, match=r"Attention layer: "
                                                    r"return_attention_scores=True is not "
                                                    r"supported \(the scores would be a second "
                                                    r"output"):
        sc.Attention()([q, v], return_attention_scores=True)


def test_masks_change_nothing_counted_and_are_noted_for_the_exports():
    q, v = sc.Input((5, 8)), sc.Input((7, 8))
    plain = sc.Attention()
    masked = sc.Attention(name="masked")
    assert plain([q, v]).shape == masked([q, v], mask=[None, "<tensor>"]).shape
    assert plain.masked_call is None and masked.masked_call == "mask=<tensor>"
    causal = sc.AdditiveAttention()
    causal([q, v], use_causal_mask=True)
    assert causal.masked_call == "use_causal_mask=True"
    assert causal.subs({}).masked_call == "use_causal_mask=True"


def test_receptive_fields_are_undefined_as_for_multi_head_attention():
    x = sc.Input(("T", 16))
    for layer in (sc.Attention(), sc.AdditiveAttention()):
        assert sc.Model(x, layer([x, x])).receptive_field is None
    assert sc.Attention().window_for([(3, 5, 8), (3, 7, 8)])[0] is None  # leading axes pass


# ----------------------------------------------------------------------- against Keras 3


@st.composite
def attention_cases(draw):
    """A layer (class name and arguments) and the shapes of its call: rank 2 or 3 (a leading
    axis), 2 or 3 inputs, widths and lengths from 2 (PyTorch's einsum turns a sum over one
    term into an element-wise product, which FlopCounterMode does not count)."""
    kind = draw(st.sampled_from(["Attention", "AdditiveAttention"]))
    kwargs = {"use_scale": draw(st.booleans())}
    if kind == "Attention":
        kwargs["score_mode"] = draw(st.sampled_from(["dot", "concat"]))
    lead = (draw(st.integers(1, 3)),) if draw(st.booleans()) else ()
    t_q, t_v = draw(st.integers(1, 5)), draw(st.integers(2, 6))
    width, value_width = draw(st.integers(2, 6)), draw(st.integers(2, 6))
    shapes = [(*lead, t_q, width), (*lead, t_v, value_width)]
    if draw(st.booleans()):
        shapes.append((*lead, t_v, width))
    else:
        shapes[1] = (*lead, t_v, width)
    return kind, kwargs, shapes


def additive_reference(layer, tensors):
    """Keras' AdditiveAttention as PyTorch operations, its score sum as a matrix product;
    the values are checked against Keras' call."""
    import torch

    q, v = tensors[0], tensors[1]
    k = tensors[2] if len(tensors) == 3 else v
    summed = torch.tanh(q.unsqueeze(-2) + k.unsqueeze(-3))
    if layer.use_scale:
        scores = (summed @ layer.scale.value.unsqueeze(-1)).squeeze(-1)  # Keras' MACs
    else:
        scores = summed.sum(-1)
    return torch.softmax(scores, dim=-1) @ v


@pytest.mark.frameworks
@settings(max_examples=40, deadline=None)
@given(case=attention_cases())
def test_random_layers_agree_with_keras_in_shape_count_and_macs(case):
    keras = require("keras")
    torch = require("torch")
    kind, kwargs, shapes = case
    theirs = getattr(keras.layers, kind)(**kwargs)
    tensors = [torch.randn(1, *s) for s in shapes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real = theirs(tensors)
        if kind == "Attention":
            real_macs = torch_macs(lambda *t: theirs(list(t)), *tensors)
        else:
            reference = additive_reference(theirs, tensors)
            assert torch.allclose(reference, real, atol=1e-5)
            real_macs = torch_macs(lambda *t: additive_reference(theirs, t), *tensors)
    inputs = [sc.Input(s) for s in shapes]
    out = getattr(sc, kind)(**kwargs)(inputs)
    model = sc.Model(inputs, out)
    assert out.shape == tuple(real.shape[1:])
    assert model.params == theirs.count_params()
    assert model.macs == real_macs


@pytest.mark.frameworks
@pytest.mark.parametrize("kind, kwargs", [("Attention", {}), ("Attention", {"use_scale": True}),
                                          ("Attention", {"score_mode": "concat"}),
                                          ("AdditiveAttention", {})])
def test_symbolic_lengths_equal_keras_at_every_integer_length(kind, kwargs):
    keras = require("keras")
    torch = require("torch")
    q, v = sc.Input((Tq, 8)), sc.Input((Tv, 6))
    k = sc.Input((Tv, 8))
    model = sc.Model([q, v, k], getattr(sc, kind)(**kwargs)([q, v, k]))
    for t_q, t_v in itertools.product((1, 3, 8), (2, 5)):
        theirs = getattr(keras.layers, kind)(**kwargs)
        tensors = [torch.randn(1, t_q, 8), torch.randn(1, t_v, 6), torch.randn(1, t_v, 8)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            real = theirs(tensors)
        at = {Tq: t_q, Tv: t_v}
        assert tuple(s.subs(at) for s in model.output_shape) == tuple(real.shape[1:])
        assert model.params == theirs.count_params()
        assert model.subs(T_q=t_q, T_v=t_v).macs == model.macs.subs(at)


# ------------------------------------------------------------------------- training memory


def _attend(kind, kwargs, inputs):
    """Models on ``x`` of shape ``(T, 8)``: ``inputs`` names each input of the call, ``"x"``
    (the model's input, no gradient) or a width (a Dense of that width on ``x``)."""
    def build(x):
        made = {}
        tensors = []
        for source in inputs:
            if source == "x":
                tensors.append(x)
            else:
                made.setdefault(source, sc.Dense(int(source.split(":")[0]))(x))
                tensors.append(made[source])
        return getattr(sc, kind)(**kwargs)(tensors)
    return build


MEMORY_CASES = [
    ("Attention", {}, ["8", "8"]), ("Attention", {}, ["8", "x"]), ("Attention", {}, ["x", "8"]),
    ("Attention", {"use_scale": True}, ["x", "x"]),
    ("Attention", {"use_scale": True, "trainable": False}, ["8", "8:b"]),
    ("Attention", {"use_scale": True}, ["8", "5", "8:b"]),
    ("Attention", {"use_scale": True}, ["x", "5", "x"]),
    ("Attention", {"score_mode": "concat"}, ["8", "8:b"]),
    ("Attention", {"score_mode": "concat"}, ["x", "3", "x"]),
    ("Attention", {"score_mode": "concat", "use_scale": True}, ["8", "x"]),
    ("Attention", {"score_mode": "concat", "use_scale": True, "trainable": False},
     ["x", "8", "x"]),
    ("AdditiveAttention", {}, ["8", "8:b"]), ("AdditiveAttention", {}, ["x", "x"]),
    ("AdditiveAttention", {"trainable": False}, ["x", "8", "x"]),
    ("AdditiveAttention", {"use_scale": False}, ["x", "8", "x"]),
    ("AdditiveAttention", {"use_scale": False}, ["8", "x"]),
]


@pytest.mark.frameworks
@pytest.mark.parametrize("kind, kwargs, inputs", MEMORY_CASES)
def test_what_training_keeps_equals_a_keras_training_step(kind, kwargs, inputs):
    """Measured with PyTorch's saved-tensor hooks on the model exported to Keras, at two
    lengths and two batch sizes; inputs with and without a gradient (the model's input has
    none), frozen layers, self- and cross-attention."""
    if os.environ.get("KERAS_BACKEND") != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    require("keras")
    import torch

    from ..support.saved_tensors import KerasTraining, measure

    B, T = sc.symbols("B T")
    x = sc.Input((T, 8))
    model = sc.Model(x, _attend(kind, kwargs, inputs)(x))
    closed = model.training_memory(batch=B).activations
    for t, batch in itertools.product((4, 7), (2, 3)):
        twin = KerasTraining(model.subs(T=t).to_keras())
        assert closed.subs({T: t, B: batch}) == measure(twin, torch.randn(batch, t, 8))[0]


@pytest.mark.parametrize("build, received", [
    (lambda q, v: sc.Attention(dropout=0.1)([q, v]), r"dropout=0.1"),
    (lambda q, v: sc.AdditiveAttention()([q, v], use_causal_mask=True),
     r"a call with use_causal_mask=True"),
])
def test_training_memory_is_refused_where_keras_keeps_what_symcnn_does_not_state(build,
                                                                                 received):
    q, v = sc.Input(("T", 8)), sc.Input(("S", 8))
    model = sc.Model([q, v], build(sc.Dense(8)(q), v))
    with pytest.raises(sc.CostError, match=rf"(Additive)?Attention layer: what it keeps for "
                                           rf"backward is stated.*Received: {received}"):
        model.training_memory()
    deep = sc.Input((2, "T", 8))
    with pytest.raises(sc.CostError, match=r"inputs of rank 2.*Received: query shape "
                                           r"\(2, T, 8\)"):
        sc.Model(deep, sc.Attention()([sc.Dense(8)(deep)] * 2)).training_memory()
