"""Admissible input sizes equal what building the network at each size accepts."""

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc

H, W = sc.symbols("H W")

layer_specs = st.one_of(
    st.tuples(st.just("conv"), st.integers(1, 5), st.integers(1, 3),
              st.sampled_from(["valid", "same"])),
    st.tuples(st.just("max"), st.integers(2, 3), st.integers(1, 3),
              st.sampled_from(["valid", "same"])),
    st.tuples(st.just("avg"), st.integers(2, 3), st.integers(2, 3), st.just("valid")),
    st.tuples(st.just("pad"), st.integers(1, 2), st.just(1), st.just("valid")),
)


def make_layer(spec):
    kind, k, s, padding = spec
    if kind == "conv":
        return sc.Conv2D(4, k, strides=s, padding=padding)
    if kind == "max":
        return sc.MaxPooling2D(k, strides=s, padding=padding)
    if kind == "avg":
        return sc.AveragePooling2D(k, strides=s)
    return sc.ZeroPadding2D(k)


def chain(specs, size):
    return sc.Sequential([sc.Input((size, size, 3)), *(make_layer(s) for s in specs)])


def numeric_output(specs, h):
    """The output shape when the network is built at ``h``, or None if it refuses ``h``."""
    try:
        return chain(specs, h).output_shape
    except sc.ShapeError:
        return None


@settings(max_examples=60)
@given(specs=st.lists(layer_specs, min_size=1, max_size=5))
def test_admissible_sizes_are_the_sizes_the_network_can_be_built_at(specs):
    found = sc.admissible(chain(specs, H), H)
    shapes = {h: numeric_output(specs, h) for h in range(1, 70)}
    for h, shape in shapes.items():
        assert (h in found) == (shape is not None), h
    built = [h for h, shape in shapes.items() if shape is not None]
    if built:
        assert found.smallest == built[0]
    for h in range(2, 70):
        same = shapes[h] is not None and shapes[h] == shapes[h - 1]
        assert (found.redundant.contains(h) == sympy.true) == same, h
        assert (found.distinct.contains(h) == sympy.true) == (shapes[h] is not None and not same)


def test_odd_sizes_lose_their_last_row_to_a_floor():
    found = sc.admissible(sc.Sequential([sc.Input((H, 16, 3)), sc.Conv2D(8, 3),
                                         sc.MaxPooling2D(2)]), "H")
    assert found.smallest == 4
    assert found.redundant == sympy.Range(5, sympy.oo, 2)
    assert found.distinct == sympy.Range(4, sympy.oo, 2)


def test_the_free_width_example_uses_every_row_only_once_in_eight_heights():
    found = sc.admissible(sc.zoo.textbook.free_width(input_shape=("H", 31, 1)), "H")
    assert found.smallest == 31 and found.distinct == sympy.Range(31, sympy.oo, 8)


def test_a_flatten_width_that_mixes_two_symbols_is_split_by_factoring():
    model = sc.zoo.textbook.free_width(input_shape=("H", "W", 1))
    assert sc.admissible(model, "H").distinct == sympy.Range(31, sympy.oo, 8)


def test_square_inputs_are_a_tie_by_keyword():
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(4, 3, strides=2), sc.Flatten(),
                           sc.Dense(2)])
    found = sc.admissible(model, H, W=H)
    assert found.smallest == 3 and found.redundant == sympy.Range(4, sympy.oo, 2)


def test_divisibility_conditions_restrict_the_admissible_sizes():
    x = sc.Input((H, 8))
    y = sc.Reshape((-1, 16))(x)  # needs 8*H divisible by 16
    found = sc.admissible(sc.Model(x, y), H)
    assert found.values == sympy.Range(2, sympy.oo, 2)


def test_errors_name_the_symbol_and_what_to_fix():
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(4, 3), sc.Flatten(), sc.Dense(2)])
    with pytest.raises(sc.SolveError, match=r"no symbol 'Q'; its symbols are H, W"):
        sc.admissible(model, "Q")
    with pytest.raises(sc.SolveError, match=r"cannot fix 'H'"):
        sc.admissible(model, "H", H=3)
