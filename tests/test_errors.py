"""Bad input raises a SymcnnError naming the layer, the argument and the received value."""

import pytest
import sympy

import symcnn as sc


@pytest.mark.parametrize("filters", [0, -3])
def test_zero_or_negative_filters_are_refused_at_construction(filters):
    with pytest.raises(sc.LayerArgumentError,
                       match=rf"Conv2D: `filters` must be a positive integer.*Received: filters={filters}"):
        sc.Conv2D(filters, 3)


@pytest.mark.parametrize("value", [2.5, 3.0, True, None, "2*n", "3"])
def test_a_float_bool_none_or_expression_string_where_a_size_is_needed_is_refused(value):
    with pytest.raises(sc.LayerArgumentError, match=r"Dense: `units`.*Received: units="):
        sc.Dense(value)


@pytest.mark.parametrize("names", ["1x", "a-b", "H W+1", "\u03b1", "", "x:"])
def test_symbols_takes_only_names_the_parser_reads_back(names):
    with pytest.raises(sc.LayerArgumentError, match=r"symbols: .*Received: names="):
        sc.symbols(names)


def test_symbols_keeps_sympys_ranges_and_lists():
    assert [s.name for s in sc.symbols("n_1:3, H_in")] == ["n_1", "n_2", "H_in"]
    assert all(s.is_integer and s.is_positive for s in sc.symbols("n_1:3"))


def test_a_symbol_without_integer_assumptions_is_refused_with_a_hint():
    with pytest.raises(sc.LayerArgumentError, match=r"lack the integer assumption.*sc|symcnn\.symbols"):
        sc.Dense(sympy.Symbol("n"))


def test_kernel_larger_than_the_input_names_layer_index_and_sizes():
    with pytest.raises(sc.ShapeError) as info:
        sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3), sc.Conv2D(4, 7)])
    message = str(info.value)
    assert "Conv2D layer 'conv2d_1' (#1) on input shape (6, 6, 4)" in message
    assert "kernel_size is larger than the input" in message
    assert "Received: kernel_size=(7, 7)" in message


def test_an_error_inside_a_nested_model_names_the_call_that_reached_it():
    """The inner layer alone ("conv2d_1 on (4, 4, 8)") did not say which call of the block
    gave it that input."""
    x = sc.Input(("H", "W", 8))
    stem = sc.Model(x, sc.Conv2D(8, 5, name="wide")(sc.Conv2D(8, 3)(x)), name="stem")
    y = sc.Input((6, 6, 8))
    with pytest.raises(sc.ShapeError) as err:
        stem(y)
    assert str(err.value).startswith(
        "Functional layer 'stem' on input shape (6, 6, 8), in Conv2D layer 'wide' (#2) on "
        "input shape (4, 4, 8): kernel_size is larger than the input")


def test_an_error_in_a_repetition_names_which_repetition_and_its_input():
    with pytest.raises(sc.ShapeError) as err:
        sc.Sequential([sc.Input((12, 12, 8)), sc.Repeat(sc.Conv2D(8, 5), 3, name="deep")])
    assert str(err.value).startswith(
        "Repeat layer 'deep' (#0) on input shape (12, 12, 8), in repetition 3 of 3 (Conv2D "
        "layer on input shape (4, 4, 8)): kernel_size is larger than the input")
    x = sc.Input(("H", "W", 8))
    stem = sc.Model(x, sc.Conv2D(8, 5, name="wide")(sc.Conv2D(8, 3)(x)), name="stem")
    with pytest.raises(sc.ShapeError, match=r"^Repeat layer 'repeat' \(#0\) on input shape "
                       r"\(12, 12, 8\), in repetition 2 of 3 \(Functional layer 'stem' on input "
                       r"shape \(6, 6, 8\)\), in Conv2D layer 'wide' \(#2\) on input shape "
                       r"\(4, 4, 8\): kernel_size"):
        sc.Sequential([sc.Input((12, 12, 8)), sc.Repeat(stem, 3)])


def test_a_kernel_larger_than_a_symbolic_input_is_a_constraint_not_an_error():
    H = sc.symbols("H")
    m = sc.Sequential([sc.Input((H, 8, 3)), sc.Conv2D(4, 7, padding=1)])
    assert m.constraints == [H >= 5]


def test_conv2d_after_flatten_is_a_rank_error():
    with pytest.raises(sc.ShapeError, match=r"Conv2D layer 'conv2d' \(#1\) on input shape \(192,\): "
                                            r"expects an input of rank 3 .*Received: input of rank 1"):
        sc.Sequential([sc.Input((8, 8, 3)), sc.Flatten(), sc.Conv2D(4, 3)])


def test_unknown_padding_string_lists_the_options():
    with pytest.raises(sc.LayerArgumentError,
                       match=r"Conv2D: `padding` must be one of 'valid', 'same'.*Received: padding='full'"):
        sc.Conv2D(4, 3, padding="full")


def test_unknown_data_format_is_refused():
    with pytest.raises(sc.LayerArgumentError, match=r"Received: data_format='nhwc'"):
        sc.MaxPooling2D(2, data_format="nhwc")


def test_mismatched_add_inputs_name_the_shapes():
    a, b = sc.Input((4, 4, 8)), sc.Input((4, 4, 16))
    with pytest.raises(sc.ShapeError, match=r"Add layer .*axis 2 differs. Received: shapes"):
        sc.Add()([a, b])


def test_mismatched_concatenate_inputs_name_the_axis():
    a, b = sc.Input((4, 4, 8)), sc.Input((5, 4, 8))
    with pytest.raises(sc.ShapeError, match=r"Concatenate layer .*axis 0 differs"):
        sc.Concatenate()([a, b])


def test_merge_of_different_ranks_is_an_error():
    with pytest.raises(sc.ShapeError, match="same rank"):
        sc.Add()([sc.Input((4, 4)), sc.Input((4, 4, 1))])


def test_groups_must_divide_the_input_channels():
    with pytest.raises(sc.ShapeError, match=r"input channels \(3\) must be divisible by `groups`"):
        sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3, groups=2)])


def test_a_symbolic_channel_count_records_divisibility():
    C = sc.symbols("C")
    m = sc.Sequential([sc.Input((8, 8, C)), sc.Conv2D(4, 3, groups=2)])
    assert m.constraints == [sympy.Eq(sympy.Mod(C, 2), 0)]


def test_stride_zero_is_refused():
    with pytest.raises(sc.LayerArgumentError, match=r"`strides` must be a positive integer.*strides=0"):
        sc.Conv2D(4, 3, strides=0)


def test_unexpected_keyword_is_refused_but_inert_keras_arguments_are_accepted():
    sc.Conv2D(4, 3, kernel_initializer="he_normal", kernel_regularizer=None)
    with pytest.raises(sc.LayerArgumentError, match=r"unexpected argument `fliters`"):
        sc.Conv2D(4, 3, fliters=3)


def test_sequential_without_an_input_says_how_to_start():
    with pytest.raises(sc.GraphError, match=r"first element must be sc.Input"):
        sc.Sequential([sc.Conv2D(4, 3)])


def test_calling_a_layer_on_a_non_tensor_is_explained():
    with pytest.raises(sc.LayerArgumentError, match="must be called on a tensor"):
        sc.Conv2D(4, 3)((8, 8, 3))


def test_cropping_everything_is_an_error():
    with pytest.raises(sc.ShapeError, match="cropping removes the whole input"):
        sc.Sequential([sc.Input((4, 4, 1)), sc.Cropping2D(2)])


def test_reshape_to_the_wrong_number_of_elements_is_an_error():
    with pytest.raises(sc.ShapeError, match=r"cannot reshape an input of 48 elements"):
        sc.Sequential([sc.Input((4, 4, 3)), sc.Reshape((5, 10))])


def test_contradictory_constraints_are_an_error_naming_the_layer():
    H = sc.symbols("H")
    with pytest.raises(sc.ShapeError, match=r"Cropping1D layer 'cropping1d'.*contradict"):
        sc.Sequential([sc.Input((H, 10 - H)), sc.Cropping1D((5, 5))])  # H <= 9 and H >= 11
