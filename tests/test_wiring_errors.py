"""How errors name a layer while a functional graph is wired.

A layer called on tensors is in no model yet: its message names it by its given name, or by
its type, with the shapes it was called on (``Dense layer on input shape [(4,), (5,)]``). Once
a model holds it (building a Sequential, wiring a Model, ``model.subs``), the message adds the
name the model gives it and its index in ``model.layers``: ``Dense layer 'dense_1' (#3)``.
"""

import pytest

import symcnn as sc

from .conftest import require

H = sc.symbols("H")


def error_of(make) -> str:
    with pytest.raises(sc.SymcnnError) as info:
        make()
    return str(info.value)


def test_a_single_input_layer_called_on_a_list_names_itself_the_shapes_and_the_count():
    a, b, c = sc.Input((4,)), sc.Input((5,)), sc.Input((6,))
    with pytest.raises(sc.ShapeError) as info:
        sc.Dense(3)([a, b, c])
    assert str(info.value) == ("Dense layer on input shape [(4,), (5,), (6,)]: expects 1 input "
                               "tensor. Received: inputs=a list of 3 tensors")
    assert error_of(lambda: sc.Dense(3, name="head")([a, b])).startswith(
        "Dense layer 'head' on input shape [(4,), (5,)]: expects 1 input tensor.")


def test_a_merge_layer_called_on_one_tensor_says_what_it_received():
    x = sc.Input((4,))
    assert error_of(lambda: sc.Add(name="plus")(x)) == (
        "Add layer 'plus' on input shape (4,): expects a list of at least 2 tensors. "
        "Received: inputs=one tensor")
    assert error_of(lambda: sc.Add()([x])).endswith("Received: inputs=a list of 1 tensor")


def test_a_call_error_and_the_same_error_in_model_subs_differ_only_by_the_index():
    # Called on tensors, the layer has its given name; in model.subs it also has its index.
    q, v = sc.Input((3, H, 8)), sc.Input((3, 7, 6))
    attention = sc.MultiHeadAttention(2, 4, attention_axes=(1,), name="attn")
    model = sc.Model([q, v], attention(sc.Dense(8, name="proj")(q), v))
    index = [layer.name for layer in model.layers].index("attn")
    at_subs = error_of(lambda: model.subs(H=4))
    at_call = error_of(lambda: attention(sc.Input((3, 4, 8)), sc.Input((3, 7, 6))))
    assert at_subs.startswith(f"MultiHeadAttention layer 'attn' (#{index}) on input shape "
                              f"[(3, 4, 8), (3, 7, 6)]: ")
    assert at_call == at_subs.replace(f" (#{index})", "")


def _shared_dense_model(second_width: int):
    a, b = sc.Input((4,)), sc.Input((second_width,))
    shared = sc.Dense(3)
    return sc.Model([a, b], [sc.Dense(2)(a), shared(a), shared(b)])


def test_a_shared_layer_reused_on_other_shapes_is_named_with_its_index_in_model_layers():
    message = error_of(lambda: _shared_dense_model(5))
    assert message == ("Dense layer 'dense_1' (#3): a shared layer is reused with incompatible "
                       "inputs (its weights would differ). Received: input shapes (4,) and (5,)")
    # the same graph where the reuse fits: the layer model.layers lists at #3
    assert _shared_dense_model(4).layers[3].name == "dense_1"


def test_a_shared_layer_in_a_sequential_is_named_with_its_index_too():
    shared = sc.Dense(3)
    assert error_of(lambda: sc.Sequential([sc.Input((4,)), shared, shared])).startswith(
        "Dense layer 'dense' (#0): a shared layer is reused with incompatible inputs")


def test_contradicting_conditions_name_the_layer_by_index_and_list_only_the_earlier_ones():
    x = sc.Input((H, 10 - H))  # H <= 9
    y = sc.Cropping1D((5, 5))(sc.Dense(3)(x))  # H >= 11
    message = error_of(lambda: sc.Model(x, y))
    assert message == ("Cropping1D layer 'cropping1d' (#2): its conditions on the symbols "
                       "contradict earlier ones, so no input size is valid. Received: H >= 11 "
                       "with H <= 9")
    fits = sc.Input((H, 10 - H))
    model = sc.Model(fits, sc.Cropping1D((1, 1))(sc.Dense(3)(fits)))
    assert model.layers[2].name == "cropping1d"


def test_an_attention_layer_called_on_one_tensor_names_itself():
    x = sc.Input((5, 8))
    with pytest.raises(sc.SymcnnError, match=r"MultiHeadAttention layer 'mha': call it on "
                                             r".*Received: 1 argument \(Tensor\)$"):
        sc.MultiHeadAttention(2, 4, name="mha")(x)


def test_one_layer_in_a_model_and_in_a_model_nested_in_it_is_refused():
    """Each model counts its layers' weights: a convolution called in the outer model and in
    a nested one counted 168 parameters where Keras counts 84. Refused, naming the layer and
    both models; one nested model called twice stays one set of weights."""
    keras = require("keras")
    shared = keras.layers.Conv2D(3, 3, padding="same")
    i = keras.Input((8, 8, 3))
    inner_keras = keras.Model(i, shared(i))
    x = keras.Input((8, 8, 3))
    keras_count = keras.Model(x, shared(inner_keras(x))).count_params()
    conv = sc.Conv2D(3, 3, padding="same", name="shared")
    i = sc.Input((8, 8, 3))
    inner = sc.Model(i, conv(i), name="inner")
    x = sc.Input((8, 8, 3))
    with pytest.raises(sc.GraphError, match=r"Conv2D layer 'shared' is called in this model and "
                                            r"in its nested model 'inner'; .*count twice"):
        sc.Model(x, conv(inner(x)))
    i2 = sc.Input((8, 8, 3))
    other = sc.Model(i2, conv(i2), name="inner2")
    with pytest.raises(sc.GraphError, match=r"the nested models 'inner' and 'inner2'"):
        sc.Model(x, other(inner(x)))
    twice = sc.Model(x, inner(inner(x)))
    assert twice.params == inner.params == keras_count  # Keras: the shared layer once
