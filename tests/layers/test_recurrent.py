"""SimpleRNN, LSTM, GRU and Bidirectional: Keras 3's shapes and counts, PyTorch's MACs.

Random recurrent layers (every merge mode, a backward layer of its own width, states
returned or not, both GRU forms) are built in real Keras 3 (torch backend) and in symcnn and
run once: every output's shape and the parameter count must agree. MACs are checked against
``FlopCounterMode`` on ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` (the reference; Keras' torch
backend runs some cells one extra step to infer shapes, which is not a cost of the model).
"""

import warnings

import pytest
import sympy
from hypothesis import given, settings, strategies as st

import symcnn as sc

from ..conftest import require
from ..support.flops import torch_macs


def test_closed_forms_in_sequence_length_width_and_units():
    T, x, u = sc.symbols("T x u")
    for cls, gates, biases in [(sc.SimpleRNN, 1, 1), (sc.LSTM, 4, 1), (sc.GRU, 3, 2)]:
        m = sc.Sequential([sc.Input((T, x)), cls(u, return_sequences=True)])
        assert m.output_shape == (T, u)
        assert m.params == sympy.expand(gates * (u * (u + x) + biases * u))
        assert m.macs == sympy.expand(T * gates * u * (x + u))
    gru = sc.Sequential([sc.Input((T, x)), sc.GRU(u, reset_after=False)])
    assert gru.params == sympy.expand(3 * (u * (u + x) + u))


def test_states_follow_the_output_when_returned():
    out, h, c = sc.LSTM(5, return_state=True)(sc.Input((7, 3)))
    assert (out.shape, h.shape, c.shape) == ((5,), (5,), (5,))
    out, h = sc.GRU(5, return_state=True, return_sequences=True)(sc.Input(("T", 3)))
    assert (out.shape, h.shape) == ((sc.symbols("T"), 5), (5,))


def test_bidirectional_doubles_the_counts_and_merges_as_asked():
    t = sc.Input(("T", 8))
    one = sc.Model(t, sc.LSTM(4)(t))
    for mode, width in [("concat", 8), ("sum", 4), ("mul", 4), ("ave", 4)]:
        m = sc.Model(t, sc.Bidirectional(sc.LSTM(4), merge_mode=mode)(t))
        assert m.output_shape == (width,)
        assert (m.params, m.macs) == (2 * one.params, 2 * one.macs)
    fwd, bwd = sc.Bidirectional(sc.LSTM(4), merge_mode=None)(t)
    assert fwd.shape == bwd.shape == (4,)


def test_symbolic_units_substitute_through_bidirectional():
    u = sc.symbols("u")
    m = sc.Sequential([sc.Input((6, 3)), sc.Bidirectional(sc.GRU("u"))])
    assert m.free_symbols == {u}
    assert m.subs(u=4).params == m.params.subs(u, 4) == 2 * 3 * (4 * 7 + 8)


@pytest.mark.parametrize("build, message", [
    (lambda: sc.LSTM(0), "LSTM: `units`.*units=0"),
    (lambda: sc.GRU(4, reset_after="no"), "GRU: `reset_after`.*reset_after='no'"),
    (lambda: sc.SimpleRNN(4, dropout=2), "SimpleRNN: `dropout`.*dropout=2"),
    (lambda: sc.Bidirectional(sc.Dense(3)), "Bidirectional: `layer`.*Dense"),
    (lambda: sc.Bidirectional(sc.LSTM(3), merge_mode="max"),
     r"'concat', 'sum', 'mul', 'ave' or None\. Received: merge_mode='max'"),
    (lambda: sc.Bidirectional(sc.LSTM(3), backward_layer=sc.LSTM(3)), "go_backwards"),
    (lambda: sc.Bidirectional(sc.LSTM(3, go_backwards=True)), "layer.go_backwards=True"),
])
def test_bad_arguments_name_the_layer_the_argument_and_the_value(build, message):
    with pytest.raises(sc.LayerArgumentError, match=message):
        build()


@pytest.mark.parametrize("mode", ["CONCAT", "Sum", "Ave"])
def test_merge_modes_are_refused_in_a_case_keras_refuses(mode):
    keras = require("keras")
    with pytest.raises(ValueError, match="Invalid merge mode"):
        keras.layers.Bidirectional(keras.layers.LSTM(3), merge_mode=mode)
    with pytest.raises(sc.LayerArgumentError, match=f"Did you mean '{mode.lower()}'.*"
                                                    f"Received: merge_mode='{mode}'"):
        sc.Bidirectional(sc.LSTM(3), merge_mode=mode)


def test_a_sequence_layer_on_images_names_the_expected_rank():
    with pytest.raises(sc.ShapeError, match="LSTM layer.*rank 2 \\(steps, features"):
        sc.LSTM(4)(sc.Input((8, 8, 3)))


@st.composite
def recurrent_cases(draw):
    cls = draw(st.sampled_from(["SimpleRNN", "LSTM", "GRU"]))
    kwargs = {"units": draw(st.integers(1, 6)), "use_bias": draw(st.booleans()),
              "return_sequences": draw(st.booleans()), "return_state": draw(st.booleans()),
              "go_backwards": draw(st.booleans())}
    if cls == "GRU":
        kwargs["reset_after"] = draw(st.booleans())
    wrap = draw(st.sampled_from([None, "concat", "sum", "mul", "ave", "none"]))
    backward = None
    if wrap is not None and wrap == "concat" and draw(st.booleans()):
        backward = dict(kwargs, units=draw(st.integers(1, 6)),
                        go_backwards=not kwargs["go_backwards"])
    shape = (draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    return cls, kwargs, wrap, backward, shape


def _build(module, cls, kwargs, wrap, backward):
    layer = getattr(module, cls)(**kwargs)
    if wrap is None:
        return layer
    back = None if backward is None else getattr(module, cls)(**backward)
    return module.Bidirectional(layer, merge_mode=None if wrap == "none" else wrap,
                                backward_layer=back)


@pytest.mark.frameworks
@settings(max_examples=40, deadline=None)
@given(case=recurrent_cases())
def test_random_recurrent_layers_agree_with_keras_on_every_output_and_the_count(case):
    keras, torch = require("keras"), require("torch")
    cls, kwargs, wrap, backward, shape = case
    if wrap is not None and backward is None and kwargs["go_backwards"]:
        with pytest.raises(ValueError, match="go_backwards"):  # both refuse it
            _build(keras.layers, cls, kwargs, wrap, backward)
        with pytest.raises(sc.LayerArgumentError, match="go_backwards"):
            _build(sc, cls, kwargs, wrap, backward)
        return
    theirs = _build(keras.layers, cls, kwargs, wrap, backward)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real = theirs(torch.randn(1, *shape))
    real = [tuple(r.shape[1:]) for r in (real if isinstance(real, (list, tuple)) else [real])]
    t = sc.Input(shape)
    outs = _build(sc, cls, kwargs, wrap, backward)(t)
    outs = outs if isinstance(outs, list) else [outs]
    assert [o.shape for o in outs] == real
    assert sc.Model(t, outs).params == theirs.count_params()


@pytest.mark.frameworks
@settings(max_examples=25, deadline=None)
@given(kind=st.sampled_from(["RNN", "LSTM", "GRU"]), steps=st.integers(1, 6),
       width=st.integers(1, 6), units=st.integers(1, 6), bidirectional=st.booleans())
def test_macs_and_trainable_counts_match_torch_flop_counter(kind, steps, width, units,
                                                            bidirectional):
    torch = require("torch")
    ref = getattr(torch.nn, kind)(width, units, batch_first=True, bidirectional=bidirectional)
    layer = {"RNN": sc.SimpleRNN, "LSTM": sc.LSTM, "GRU": sc.GRU}[kind](units)
    if bidirectional:
        layer = sc.Bidirectional(layer)
    model = sc.Sequential([sc.Input((steps, width)), layer])
    assert model.macs == torch_macs(ref, torch.randn(1, steps, width))
    torch_params = sum(p.numel() for p in ref.parameters())
    if kind == "GRU":  # PyTorch's GRU is Keras' reset_after=True form, two biases included
        assert model.params == torch_params
    else:  # PyTorch has two bias vectors (b_ih, b_hh) where Keras has one
        extra = (2 if bidirectional else 1) * (4 if kind == "LSTM" else 1) * units
        assert model.params + extra == torch_params
