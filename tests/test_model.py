"""Specification of models: propagation, naming, sharing, nesting, substitution."""

import re

import pytest
import sympy
from hypothesis import given, strategies as st

import symcnn as sc

H, W, n = sc.symbols("H W n")


def test_layers_are_named_as_keras_names_them_per_model():
    m = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3), sc.Conv2D(4, 3), sc.ReLU(),
                       sc.Conv2D(4, 1, name="head")])
    assert [r.name for r in m.layers] == ["conv2d", "conv2d_1", "re_lu", "head"]


def test_aliases_are_the_same_classes_as_keras():
    assert sc.MaxPool2D is sc.MaxPooling2D and sc.GlobalAvgPool2D is sc.GlobalAveragePooling2D


def test_a_shared_layer_counts_its_parameters_once():
    x = sc.Input((H, W, 8))
    shared = sc.Conv2D(8, 3, padding="same")
    y = shared(shared(x))
    m = sc.Model(x, y)
    assert [r.type for r in m.layers] == ["InputLayer", "Conv2D"]  # Keras lists the input
    assert m.layers[1].calls == 2
    assert m.params == 3 * 3 * 8 * 8 + 8


def test_a_shared_layer_reused_on_incompatible_inputs_is_an_error():
    a, b = sc.Input((4, 4, 8)), sc.Input((4, 4, 16))
    dense = sc.Dense(3)
    with pytest.raises(sc.GraphError, match="reused with incompatible inputs"):
        sc.Model([a, b], [dense(a), dense(b)])


def test_functional_residual_block_adds_and_counts():
    x = sc.Input((H, W, 64))
    y = sc.BatchNormalization()(sc.Conv2D(64, 3, padding="same")(x))
    block = sc.Model(x, sc.Add()([x, y]), name="residual")
    assert block.output_shape == (H, W, 64)
    assert (block.trainable_params, block.non_trainable_params) == (36928 + 128, 128)
    assert [r.inbound for r in block.layers][-1] == ("input_layer", "batch_normalization")


def test_a_model_nests_as_a_layer_and_reapplies_to_new_sizes():
    inner = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 3)], name="block")
    outer = sc.Sequential([sc.Input((32, 32, 3)), inner, sc.Flatten(), sc.Dense(2)])
    assert outer.layers[0].output_shape == (30, 30, 8)
    assert outer.params == inner.params + 30 * 30 * 8 * 2 + 2


def test_multi_output_models_list_their_output_shapes():
    x = sc.Input((H, W, 3))
    m = sc.Model(x, [sc.Conv2D(2, 1)(x), sc.GlobalMaxPooling2D()(x)])
    assert m.output_shape == [(H, W, 2), (3,)]


def test_a_disconnected_input_is_an_error():
    a, b = sc.Input((4,)), sc.Input((4,))
    y = sc.Add()([a, b])
    with pytest.raises(sc.GraphError, match="disconnected"):
        sc.Model(a, y)


def test_two_layers_with_the_same_explicit_name_are_an_error():
    with pytest.raises(sc.GraphError, match="both named 'x'"):
        sc.Sequential([sc.Input((4,)), sc.Dense(2, name="x"), sc.Dense(2, name="x")])


def test_subs_accepts_names_symbols_and_rejects_unknown_names():
    m = sc.zoo.textbook.free_width()
    assert m.subs(n=10).params == m.subs({n: 10}).params == 49920
    with pytest.raises(sc.SymbolError, match="no symbol named 'q'"):
        m.subs(q=3)


def test_subs_by_a_symbol_object_means_the_models_symbol_of_that_name_or_is_an_error():
    m = sc.zoo.textbook.free_width()
    # sympy.Symbol("n") lacks symcnn's integer and positive assumptions: still the model's n
    assert m.subs({sympy.Symbol("n"): 10}).params == 49920
    for unknown in (sc.symbols("zzz"), sympy.Symbol("zzz")):
        with pytest.raises(sc.SymbolError, match=r"no symbol zzz to substitute\. Free symbols: "
                                                 r"n\. Received: \{zzz: 10\}"):
            m.subs({unknown: 10})


@pytest.mark.parametrize("call", [
    lambda m: m.subs({"H": 32}, H=33),                   # a dict and a keyword
    lambda m: m.subs({H: 32, "H": 33}),                  # a symbol and its name
    lambda m: m.subs({sympy.Symbol("H"): 32}, H="33"),   # a plain symbol, and text
    lambda m: m.subs([("H", 32), ("H", 33)]),            # pairs
])
def test_a_symbol_given_two_different_values_is_refused(call):
    """Was: the last value taken silently (``m.subs({"H": 32}, H=33)`` built at 33)."""
    m = sc.zoo.textbook.free_width(input_shape=("H", 31, 1))
    with pytest.raises(sc.SymbolError) as err:
        call(m)
    assert str(err.value).startswith("Model 'free_width' subs: H is given twice, with "
                                     "different values (32 and 33)")
    assert re.search(r"Received: H='?32'? and H='?33'?$", str(err.value))


@pytest.mark.parametrize("call", [
    lambda m: m.subs({"H": 32}, H=32),
    lambda m: m.subs({H: 32, "H": "32"}),
    lambda m: m.subs([("H", 32), (H, sympy.Integer(32))]),
])
def test_a_symbol_given_the_same_value_twice_is_substituted_once(call):
    m = sc.zoo.textbook.free_width(input_shape=("H", 31, 1))
    once = m.subs(H=32)
    twice = call(m)
    assert (twice.output_shape, twice.params, twice.macs) == \
        (once.output_shape, once.params, once.macs)


def test_training_memory_subs_refuses_two_values_of_one_symbol_too():
    mem = sc.Sequential([sc.Input((H, 8, 3)), sc.Conv2D(4, 3)]).training_memory(
        optimizer="sgd")
    assert mem.subs({"B": 2}, B=2).activations == mem.subs(B=2).activations
    with pytest.raises(sc.SymbolError, match=r"TrainingMemory subs: B is given twice"):
        mem.subs({"B": 2}, B=3)


def test_subs_refuses_a_mapping_that_is_neither_a_dict_nor_pairs():
    m = sc.zoo.textbook.free_width()
    for bad in (5, [("n", 1, 2)]):
        with pytest.raises(sc.SymbolError, match=r"`mapping` must be a dict"):
            m.subs(bad)


@given(h=st.integers(3, 10**6), k=st.integers(1, 50))
def test_subs_reads_text_as_the_command_line_does_numbers_names_and_expressions(h, k):
    m = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(n, 3)])
    as_text = m.subs(H=str(h), W=f"{k}*H + 2", n=f"{k} * n")
    as_values = m.subs(H=h, W=k * H + 2, n=k * n)
    assert as_text.output_shape == as_values.output_shape
    assert as_text.params == as_values.params and as_text.macs == as_values.macs


@pytest.mark.parametrize("text, problem", [
    ("__import__('os')", "unexpected character"), ("inf", "cannot be a new symbol"),
    ("0x10", "unexpected 'x10'"), ("", "the text is empty")])
def test_subs_text_that_is_no_size_is_refused_naming_the_symbol_and_the_text(text, problem):
    m = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 3)])
    with pytest.raises(sc.LayerArgumentError, match=rf"Model 'sequential' subs: `H` must be a "
                                                    rf"positive integer.*{problem}.*Received: "
                                                    rf"H={re.escape(repr(text))}"):
        m.subs(H=text)
    with pytest.raises(sc.LayerArgumentError, match=r"not known to be an integer"):
        m.subs(H="W/2")


def test_subs_rechecks_every_layer_and_names_the_one_that_fails():
    m = sc.Sequential([sc.Input((H, H, 1)), sc.Conv2D(2, 5), sc.MaxPooling2D(2)])
    assert m.constraints == [H >= 6]
    with pytest.raises(sc.ShapeError, match=r"MaxPooling2D layer 'max_pooling2d' \(#1\)"):
        m.subs(H=5)


def test_layers_are_immutable():
    layer = sc.Conv2D(8, 3)
    with pytest.raises(AttributeError):
        layer.filters = 4


def test_trainable_false_moves_every_parameter_to_non_trainable():
    m = sc.Sequential([sc.Input((10,)), sc.Dense(4, trainable=False), sc.Dense(2)])
    assert (m.trainable_params, m.non_trainable_params) == (10, 44)


def test_channels_first_equals_channels_last_with_the_channel_axis_moved():
    def build(fmt, shape):
        return sc.Sequential([sc.Input(shape),
                              sc.Conv2D(8, 3, strides=2, padding=1, data_format=fmt),
                              sc.MaxPooling2D(2, data_format=fmt),
                              sc.BatchNormalization(axis=1 if fmt == "channels_first" else -1)])
    first = build("channels_first", (3, H, W))
    last = build("channels_last", (H, W, 3))
    assert first.output_shape == (last.output_shape[2], *last.output_shape[:2])
    assert first.params == last.params == 3 * 9 * 8 + 8 + 4 * 8
    assert first.subs(H=21, W=16).output_shape == (8, 5, 4)


def test_summary_lists_every_layer_and_the_totals():
    text = sc.zoo.textbook.free_width().summary_text()
    assert "dense (Dense)" in text and "160*n" in text
    assert "Total params: 160*n + 48320" in text


def test_summary_column_choice():
    text = sc.zoo.textbook.free_width().summary_text(columns=["layer", "params"])
    assert "Output Shape" not in text
    with pytest.raises(sc.SymcnnError, match="unknown column"):
        sc.zoo.textbook.free_width().summary_text(columns=["nope"])


# --- symbolic then substituted equals numeric, layer by layer --------------------------------

layer_specs = st.lists(
    st.one_of(
        st.tuples(st.just("conv"), st.integers(1, 8), st.integers(1, 5), st.integers(1, 3),
                  st.sampled_from(["valid", "same", 0, 1, 2]), st.integers(1, 2)),
        st.tuples(st.just("pool"), st.integers(1, 4), st.sampled_from([None, 1, 2, 3]),
                  st.sampled_from(["valid", "same"])),
        st.tuples(st.just("transpose"), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3),
                  st.sampled_from(["valid", "same"])),
        st.tuples(st.just("pad"), st.integers(0, 3)),
        st.tuples(st.just("bn"),),
    ),
    min_size=1, max_size=6,
)


def build(specs, h, w):
    layers = [sc.Input((h, w, 3))]
    for spec in specs:
        kind = spec[0]
        if kind == "conv":
            _, f, k, s, p, d = spec
            layers.append(sc.Conv2D(f, k, strides=s, padding=p, dilation_rate=d))
        elif kind == "pool":
            _, k, s, p = spec
            layers.append(sc.MaxPooling2D(k, strides=s, padding=p))
        elif kind == "transpose":
            _, f, k, s, p = spec
            layers.append(sc.Conv2DTranspose(f, k, strides=s, padding=p))
        elif kind == "pad":
            layers.append(sc.ZeroPadding2D(spec[1]))
        else:
            layers.append(sc.BatchNormalization())
    layers += [sc.Flatten(), sc.Dense(3)]
    return sc.Sequential(layers)


@given(specs=layer_specs, h=st.integers(1, 40), w=st.integers(1, 40))
def test_a_symbolic_model_substituted_equals_the_numeric_model_layer_by_layer(specs, h, w):
    try:
        symbolic = build(specs, H, W)
    except sc.ShapeError:
        with pytest.raises(sc.ShapeError):
            build(specs, h, w)
        return
    admissible = all(bool(c.subs({H: h, W: w})) for c in symbolic.constraints)
    try:
        numeric = build(specs, h, w)
    except sc.ShapeError:
        assert not admissible, f"constraints {symbolic.constraints} admit H={h}, W={w}"
        return
    assert admissible, f"constraints {symbolic.constraints} refuse H={h}, W={w}"
    substituted = symbolic.subs(H=h, W=w)
    for a, b, c in zip(symbolic.layers, substituted.layers, numeric.layers):
        assert tuple(d.subs({H: h, W: w}) for d in a.output_shape) == b.output_shape == c.output_shape
        assert a.params.subs({H: h, W: w}) == b.params == c.params


def test_subs_reaches_into_nested_models_and_leaves_those_without_the_symbol_alone():
    x = sc.Input((8, 8, 4))
    fixed = sc.Model(x, sc.Conv2D(4, 3, padding="same")(x), name="fixed")
    outer = sc.Sequential([sc.Input((8, 8, 4)), fixed, sc.Conv2D("n", 1)])
    # was "Model 'fixed': no symbol n to substitute"
    assert outer.subs(n=3).params == outer.params.subs(sc.symbols("n"), 3) == 163
    deep = sc.zoo.convnext(depths=(3, 3, "L", 3), input_shape=(224, 224, 3))
    assert deep.subs(L=9).params == sc.zoo.convnext_tiny(input_shape=(224, 224, 3)).params
    with pytest.raises(sc.SymbolError, match="no symbol named 'm'"):
        outer.subs(m=3)  # a name the whole model lacks is still an error


def test_an_input_name_is_taken_before_the_layers_are_named():
    """An input named "dense" and a Dense layer both named dense made "Connected to: dense"
    ambiguous, and a model file of it unreadable."""
    x = sc.Input((4,), name="dense")
    y = sc.Dense(3)(x)
    model = sc.Model(x, sc.Add()([y, sc.Dense(3)(y)]))
    assert [r.name for r in model._records] == ["dense_1", "dense_2", "add"]
    assert sc.model_from_spec(sc.model_to_spec(model)).params == model.params
    with pytest.raises(sc.GraphError, match="an input and a layer are both named 'dense'"):
        sc.Model(x, sc.Dense(3, name="dense")(x))


def test_a_model_keeps_the_constraints_its_builder_states():
    """``Model(..., constraints=[...])``: conditions beyond the layers' own (a zoo model's
    ``alpha >= 1/4``) are listed, kept by subs (substituted) and by a nested model, and a
    value that breaks one is refused, naming it."""
    alpha, n = sc.multiplier("alpha"), sc.symbols("n")
    x = sc.Input(("H", 3))
    model = sc.Model(x, sc.Dense(n)(x), constraints=[alpha >= sympy.Rational(1, 4), n <= 64])
    assert set(map(str, model.constraints)) >= {"alpha >= 1/4", "n <= 64"}
    assert alpha in model.free_symbols
    assert "alpha >= 1/4" in map(str, model.subs(n=8).constraints)
    assert not any(c.has(alpha, n) for c in model.subs(alpha="1/2", n=8).constraints)
    with pytest.raises(sc.ShapeError, match=r"hold only where n <= 64.*Received: n=65"):
        model.subs(n=65)
    outer_in = sc.Input(("H", 3))
    nested = sc.Model(outer_in, model(outer_in))
    assert "alpha >= 1/4" in map(str, nested.constraints)
    seq = sc.Sequential([sc.Input((4,)), sc.Dense(n)], constraints=[n >= 2])
    with pytest.raises(sc.ShapeError, match="hold only where n >= 2"):
        seq.subs(n=1)
    for bad in ("n >= 2", [n + 1], [n > 2, "x"], [sympy.Ne(n, 2)]):
        with pytest.raises(sc.GraphError, match="constraints"):
            sc.Model(x, sc.Dense(n)(x), constraints=bad)
    with pytest.raises(sc.ShapeError, match="stated constraint"):
        sc.Model(x, sc.Dense(n)(x), constraints=[sympy.Integer(1) >= 2])


def test_the_repr_counts_the_layers_len_of_layers_counts():
    """The repr's count is ``len(model.layers)``: a functional model's input and a shared
    layer once, as Keras counts (it said "2 layers" of a model whose ``layers`` holds 3)."""
    x = sc.Input((8,))
    shared = sc.Dense(4)
    functional = sc.Model(x, shared(shared(sc.Dense(4)(x))))
    stack = sc.Sequential([sc.Input((8,)), sc.Dense(3)])
    for model in (functional, stack):
        count = len(model.layers)
        assert f": {count} layer{'' if count == 1 else 's'}," in repr(model)
    assert len(functional.layers) == 3 and len(stack.layers) == 1


def test_subs_keeps_the_inputs_batch_size():
    """An input's ``batch_size`` is the batch ``training_memory`` takes by default; ``subs``
    rebuilt the input without it, and the figure fell back to ``B``."""
    N, H = sc.symbols("N H")
    for batch in ("N", 4):
        stack = sc.Sequential([sc.Input(("H", 8), batch_size=batch), sc.Dense(2)])
        x = sc.Input(("H", 8), batch_size=batch)
        functional = sc.Model(x, sc.Dense(2)(x))
        for model in (stack, functional):
            figure = model.training_memory(optimizer="sgd").activations
            assert model.subs(H=3).training_memory(optimizer="sgd").activations == \
                figure.subs(H, 3) == 32 * 3 * (N if batch == "N" else 4)
