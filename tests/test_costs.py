"""Specification of costs: MACs, FLOP conventions, activation elements and bytes."""

import pytest
import sympy
from hypothesis import given, settings, strategies as st

import symcnn as sc
from symcnn import costs
from symcnn.zoo import textbook

H, W, n = sc.symbols("H W n")


def test_macs_of_worked_example_b_are_a_closed_form_in_h_and_w():
    model = textbook.cifar(input_shape=("H", "W", 3))
    assert model.macs == (1728 * H * W + 73728 * sympy.floor(H / 2) * sympy.floor(W / 2)
                          + 294912 * sympy.floor((H + 4) / 8) * sympy.floor((W + 4) / 8)
                          + 1179648 * sympy.floor((H + 20) / 32) * sympy.floor((W + 20) / 32)
                          + 26100)


@settings(max_examples=40)
@given(st.integers(12, 200), st.integers(12, 200))
def test_example_b_closed_form_equals_the_model_built_on_numbers(h, w):
    closed = textbook.cifar(input_shape=("H", "W", 3))
    numeric = textbook.cifar(input_shape=(h, w, 3))
    values = {H: h, W: w}
    assert closed.macs.subs(values) == numeric.macs
    assert closed.activation_elements.subs(values) == numeric.activation_elements
    assert closed.peak_activation_elements.subs(values) == numeric.peak_activation_elements
    assert closed.subs(H=h, W=w).macs == numeric.macs


def test_example_b_at_32_by_32_counts_each_layer_by_hand():
    model = textbook.cifar()
    convs = [r.macs for r in model.layers if r.type == "Conv2D"]
    assert convs == [32 * 32 * 64 * 3 * 9, 16 * 16 * 128 * 64 * 9, 4 * 4 * 256 * 128 * 9,
                     1 * 1 * 512 * 256 * 9]
    assert [r.macs for r in model.layers if r.type == "Dense"] == [512 * 50, 50 * 10]
    assert all(r.macs == 0 for r in model.layers if r.type not in ("Conv2D", "Dense"))


def test_flops_are_twice_the_macs_by_default_and_once_under_the_mac_convention():
    model = textbook.free_width()
    assert model.flops == 2 * model.macs == costs.flops(model, "2mac")
    assert costs.flops(model, "mac") == model.macs
    assert model.layers[0].flops == 2 * model.layers[0].macs


def test_ptflops_convention_adds_bias_batchnorm_activation_and_pooling_elements():
    m = sc.Sequential([sc.Input((6, 6, 2)), sc.Conv2D(4, 3, activation="relu"),
                       sc.BatchNormalization(), sc.MaxPooling2D(2), sc.Flatten(), sc.Dense(3)])
    conv, bn, pool, _, dense = m.layers
    assert costs.flops(conv, "ptflops") == conv.macs + 2 * 4 * 4 * 4  # bias + relu per output
    assert costs.flops(bn, "ptflops") == 2 * 4 * 4 * 4
    assert costs.flops(pool, "ptflops") == 4 * 4 * 4  # one per input element
    assert costs.flops(dense, "ptflops") == dense.macs + 3


def test_an_unknown_flop_convention_is_an_error_naming_the_choices():
    expected = r"'2mac', 'mac', 'ptflops'.*Received: convention='gflop'"
    with pytest.raises(sc.CostError, match=expected):
        costs.flops(textbook.free_width(), "gflop")


def test_batchnorm_pooling_and_merges_have_no_macs():
    x = sc.Input((H, W, 8))
    y = sc.MaxPooling2D(2, padding="same")(sc.BatchNormalization()(x))
    z = sc.AveragePooling2D(2, padding="same")(x)
    m = sc.Model(x, sc.Add()([y, z]))
    assert m.macs == 0 and all(r.macs == 0 for r in m.layers)


def test_a_shared_layer_counts_macs_for_every_call():
    x = sc.Input((H, W, 8))
    shared = sc.Conv2D(8, 3, padding="same", use_bias=False)
    m = sc.Model(x, shared(shared(x)))
    assert m.layers[1].calls == 2  # layers[0] is the InputLayer, as in Keras
    assert m.macs == m.layers[1].macs == 2 * H * W * 8 * 8 * 9


def test_a_nested_model_costs_what_its_layers_cost_on_the_shapes_it_receives():
    inner_in = sc.Input((8, 8, 4))
    block = sc.Model(inner_in, sc.Conv2D(4, 3, padding="same")(inner_in), name="block")
    outer = sc.Sequential([sc.Input((H, W, 4)), block, sc.ReLU()])
    assert outer.macs == H * W * 4 * 4 * 9
    assert outer.activation_elements == 2 * 4 * H * W
    assert block.macs == 8 * 8 * 4 * 4 * 9


def test_a_repeated_block_costs_its_macs_times_the_repetitions():
    repeat = getattr(sc, "Repeat", None)
    if repeat is None:
        pytest.skip("Repeat is not part of this build")
    x = sc.Input((H, W, 4))
    block = sc.Model(x, sc.Conv2D(4, 3, padding="same", use_bias=False)(x))
    m = sc.Sequential([sc.Input((H, W, 4)), repeat(block, n)])
    assert m.macs == n * H * W * 144


def test_activation_elements_add_every_layer_output_once_per_call():
    m = sc.Sequential([sc.Input((H, 5)), sc.Dense(3), sc.ReLU(), sc.Dense(2)])
    assert [r.activation_elements for r in m.layers] == [3 * H, 3 * H, 2 * H]
    assert m.activation_elements == 8 * H
    assert m.activation_bytes("float16") == 16 * H


@pytest.mark.parametrize("dtype,size", [("float32", 4), ("float16", 2), ("bfloat16", 2),
                                        ("int8", 1), ("float64", 8), (3, 3)])
def test_parameter_bytes_are_params_times_the_dtype_size(dtype, size):
    model = textbook.free_width()
    assert model.param_bytes(dtype) == size * model.params
    assert model.layers[0].param_bytes(dtype) == size * 320


def test_dtypes_with_itemsize_are_accepted():
    torch = pytest.importorskip("torch")
    assert costs.dtype_bytes(torch.float16) == 2 and costs.dtype_bytes("torch.bfloat16") == 2


def test_numpy_scalar_types_are_accepted_as_numpy_sizes_them():
    np = pytest.importorskip("numpy")
    for kind in (np.float16, np.float64, np.int8, np.bool_, np.uint16):
        assert costs.dtype_bytes(kind) == np.dtype(kind).itemsize
    assert textbook.free_width().param_bytes(np.float16) == 2 * textbook.free_width().params


@pytest.mark.parametrize("bad", ["float13", 0, -2, True, None, float, bool])
def test_an_unknown_dtype_is_an_error_with_the_received_value(bad):
    with pytest.raises(sc.CostError, match=r"Received: dtype="):
        textbook.free_width().param_bytes(bad)


def test_a_layer_with_parameters_but_no_mac_formula_is_an_error_not_a_guess():
    class Scale(sc.Layer):
        def output_shape_for(self, shape, check):
            return shape

        def params_for(self, shape):
            return shape[-1], sympy.Integer(0)

    m = sc.Sequential([sc.Input((4, 4, 2)), Scale()])
    with pytest.raises(sc.CostError, match="no MAC formula for Scale"):
        m.macs


def test_the_widest_network_under_one_gmac_is_solved_from_the_macs_closed_form():
    w = sc.symbols("w")
    model = sc.Sequential([
        sc.Input((H, W, 3)),
        sc.Conv2D(w, 3, strides=2, padding="same"), sc.ReLU(),
        sc.Conv2D(2 * w, 3, strides=2, padding="same"), sc.ReLU(),
        sc.Conv2D(4 * w, 3, strides=2, padding="same"), sc.GlobalAveragePooling2D(),
        sc.Dense(10),
    ])
    widest = sc.solve_budget(model.macs, 10**9, w, H=224, W=224)
    at = lambda value: model.subs(w=value, H=224, W=224).macs  # noqa: E731
    assert at(widest) <= 10**9 < at(widest + 1)


def test_macs_of_a_subs_model_equal_the_substituted_closed_form():
    model = textbook.free_width()
    assert model.subs(n=10).macs == model.macs.subs(n, 10)


def test_summary_cost_columns_add_up_to_the_printed_total():
    model = textbook.cifar()
    text = model.summary_text(columns=["layer", "macs", "flops", "activations", "param_bytes"])
    assert f"Total MACs: {int(model.macs):,}" in text
    assert f"Total FLOPs: {int(model.flops):,}" in text
    assert sum(r.macs for r in model.layers) == model.macs
    layers = [r for r in model.layers if r.type != "InputLayer"]  # the input is no activation
    assert sum(r.activation_elements for r in layers) == model.activation_elements
    assert sum(r.param_bytes() for r in model.layers) == model.param_bytes()


def test_calls_with_one_signature_share_their_macs_and_others_do_not():
    """MACs are kept per layer-call result, which calls with the same signature share."""
    x = inputs = sc.Input((H, W, 8))
    a = sc.Conv2D(8, 3, padding="same")(x)
    b = sc.Conv2D(8, 3, padding="same")(a)        # same signature as a's layer call
    c = sc.Conv2D(8, 3, padding="same", strides=2)(b)  # another signature
    model = sc.Model(inputs, c)
    first, second, third = (costs.node_macs(r.node) for r in model.layers[1:])
    assert first is second
    assert first == 576 * H * W and third == 576 * sympy.ceiling(H / 2) * sympy.ceiling(W / 2)


@pytest.mark.parametrize("block", ["conv", "conv_relu"])
def test_ptflops_of_a_symbolic_count_of_a_shape_changing_block_equal_each_build(block):
    """The FLOPs summed over ``L`` repetitions were the MACs alone: the bias adds and the
    ReLU that ptflops counts (and that the build at each point counts) were left out."""
    H, L = sc.symbols("H L")
    layers = [sc.Conv2D(4, 3, strides=2, padding="same")] + \
        ([sc.ReLU()] if block == "conv_relu" else [])
    inner = sc.Sequential([sc.Input((H, H, 4)), *layers])
    model = sc.Sequential([sc.Input((H, H, 4)), sc.Repeat(inner, L)])
    closed = sc.costs.flops(model, "ptflops")
    for h in (5, 8, 13, 32):
        for count in (1, 2, 3):
            built = sc.costs.flops(model.subs(H=h, L=count), "ptflops")
            assert closed.subs({H: h, L: count}).doit() == built, (h, count)
