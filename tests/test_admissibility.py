"""Admissible input sizes equal what building the network at each size accepts."""

import re

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


# --- fixed values outside a symbol's values -------------------------------------------------

L = sc.symbols("L")


def repeated(count, size=H):
    return sc.Sequential([sc.Input((size, 8, 3)), sc.Repeat(sc.Conv2D(3, 3), count)])


def pooled(count, size=H):
    return sc.Sequential([sc.Input((size, 8, 3)), sc.Repeat(sc.MaxPooling2D((2, 1)), count),
                          sc.Conv2D(3, (3, 1))])


def built(make, count, h) -> bool:
    try:
        make(count, h)
    except sc.SymcnnError:
        return False
    return True


@pytest.mark.parametrize("make", [repeated, pooled])
@pytest.mark.parametrize("count", [0, -1])
def test_a_repeat_count_below_1_is_refused_and_says_why(make, count):
    """Was: an answer from closed forms that assume one repetition or more (``H >= 3`` for
    no convolution at all)."""
    with pytest.raises(sc.SolveError) as err:
        sc.admissible(make(L), H, L=count)
    assert str(err.value) == (
        f"admissible('sequential'): L={count} is outside the values of L, a positive integer "
        f"(as sc.symbols makes) that counts the repetitions of a Repeat, whose closed forms "
        f"hold from 1 repetition on (for none, leave the Repeat out). Received: L={count}")


@pytest.mark.parametrize("make", [repeated, pooled])
@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_a_repeat_count_from_1_gives_the_sizes_the_numeric_count_builds(make, count):
    found = sc.admissible(make(L), H, L=count)
    for h in range(1, 60):
        assert (h in found) == built(make, count, h), h


@pytest.mark.parametrize("value", [0, -3, sympy.Rational(1, 2), sympy.sqrt(2)])
def test_a_size_fixed_outside_the_positive_integers_is_refused(value):
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(4, 3)])
    with pytest.raises(sc.SolveError, match=rf"W={re.escape(str(value))} is outside the "
                                            r"values of W, a positive integer"):
        sc.admissible(model, H, W=value)


@pytest.mark.parametrize("tie", [H - 5, H / 2, (H + 1) / 3, 2 * H - 7, 5 - H, -H,
                                 H + sympy.Rational(1, 2)])
def test_a_size_tied_to_the_symbol_keeps_a_positive_integer(tie):
    """``W=H - 5`` or ``W=H/2`` adds the conditions that keep W a size (was: H = 1 admitted,
    with W = -4 or 1/2)."""
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Dense(2)])
    found = sc.admissible(model, H, W=tie)
    for h in range(1, 40):
        w = tie.xreplace({H: h})
        ok = w.is_Integer and w >= 1
        assert (h in found) == bool(ok), (h, w)


def test_an_empty_set_keeps_the_condition_the_values_break():
    """Was ``constraints=(False,)``: now the condition as it reads with the value."""
    found = sc.admissible(repeated(L), H, L=5)
    assert found.values == sympy.S.EmptySet and found.smallest is None
    assert [str(c) for c in found.constraints] == ["5 <= 3"]
    assert all(c.func(*c.args) is sympy.false for c in found.constraints)
    assert not any(built(repeated, 5, h) for h in range(1, 60))


def halvings(count, size):
    return sc.Sequential([sc.Input((size, size, 1)), sc.Repeat(sc.MaxPooling2D(2), count)])


def _built_shape(make, *args):
    try:
        return make(*args).output_shape
    except sc.SymcnnError:
        return None


@pytest.mark.parametrize("h", [1, 7, 64, 100, 1023])
def test_a_shrinking_repeat_count_gets_its_values_and_redundancy_from_building_each(h):
    """``floor(H/2**L)`` is no quasi-polynomial in ``L``: the few admissible counts are
    compared one by one, against the model built at each count."""
    found = sc.admissible(halvings(L, H), L, H=h)
    shapes = {count: _built_shape(halvings, count, h) for count in range(1, 16)}
    assert [c for c in shapes if c in found] == [c for c, s in shapes.items() if s is not None]
    for count in range(2, 16):
        same = shapes[count] is not None and shapes[count] == shapes[count - 1]
        assert (found.redundant.contains(count) == sympy.true) == same, count
        assert (found.distinct.contains(count) == sympy.true) == (
            shapes[count] is not None and not same), count
    assert found.note is None


def test_undecided_redundancy_is_none_with_a_note_not_an_error():
    """Unboundedly many counts whose feature maps are no quasi-polynomial: the values are
    given, the redundancy is left undecided and says why."""
    def make(count, size):  # floor(H*2**L/5) rows
        return sc.Sequential([sc.Input((size, 4, 1)), sc.Repeat(sc.UpSampling2D((2, 1)), count),
                              sc.MaxPooling2D((5, 1))])

    found = sc.admissible(make(L, H), L, H=3)
    built = [c for c in range(1, 12) if _built_shape(make, c, 3) is not None]
    assert [c for c in range(1, 12) if c in found] == built
    assert found.redundant is None and found.distinct is None
    assert "not decided" in found.note


def _parity_symbol(**assumptions):
    return sympy.Symbol("e", integer=True, **assumptions)


@pytest.mark.parametrize("assumptions", [dict(positive=True, even=True),
                                         dict(positive=True, odd=True),
                                         dict(nonnegative=True),
                                         dict(nonnegative=True, even=True)])
@pytest.mark.parametrize("offset, kernel, stride", [(0, 3, 2), (2, 2, 2), (1, 5, 3), (3, 1, 1)])
def test_admissible_values_are_those_the_symbol_takes(assumptions, offset, kernel, stride):
    """Parity and the lower bound (0 for a non-negative symbol) of the symbol's own
    assumptions; redundant compares with the value before (``h - 2`` for a parity); the
    truth is the model built at each number the symbol takes."""
    e = _parity_symbol(**assumptions)

    def make(size):
        return sc.Sequential([sc.Input((size + offset, 4, 1)),
                              sc.MaxPooling2D((kernel, 1), strides=(stride, 1))])

    def takes(v):
        return v >= (0 if "nonnegative" in assumptions else 1) and (
            "even" not in assumptions or v % 2 == 0) and ("odd" not in assumptions or v % 2)

    found = sc.admissible(make(e), e)
    step = 2 if "even" in assumptions or "odd" in assumptions else 1
    shapes = {v: _built_shape(make, v) if takes(v) else None for v in range(-2, 40)}
    assert [v for v in shapes if v in found] == [v for v, s in shapes.items() if s is not None]
    for v in range(0, 40):
        same = shapes[v] is not None and shapes[v] == shapes.get(v - step)
        assert (found.redundant.contains(v) == sympy.true) == same, v
        assert (found.distinct.contains(v) == sympy.true) == (shapes[v] is not None and not same)
    for v in range(0, 12):  # subs takes the same numbers, and refuses the others
        if takes(v) and shapes[v] is not None:
            assert make(e).subs({e: v}).output_shape == shapes[v]
        elif not takes(v):
            with pytest.raises(sc.SymcnnError, match=f"{e}"):
                make(e).subs({e: v})


def test_an_empty_answer_names_the_conditions_that_conflict():
    """Floor- and ceiling-pooled branches joined on a square input: H must be a multiple of 4
    for one and not for the other. The note names those two conditions, each needed (with
    either left out, some H is admissible), and no value is admissible by brute force."""
    H, W = sc.symbols("H W")
    x = sc.Input((H, W, 1))
    a = sc.MaxPooling2D(4, padding="same")(x)
    b = sc.ZeroPadding2D(((0, 0), (0, 1)))(sc.MaxPooling2D(4)(x))
    model = sc.Model(x, sc.Concatenate()([a, b]))
    found = sc.admissible(model, H, W=H)
    assert found.values == sympy.S.EmptySet and found.smallest is None
    conflict = [c.xreplace({W: H}) for c in model.constraints if c.has(sympy.floor)]
    shown = [f"{c.lhs} = {c.rhs}" for c in conflict]  # an equation as it reads, not Eq(...)
    assert found.note == f"no value of H meets {shown[0]} and {shown[1]} together"
    for h in range(1, 80):  # brute force: no square size builds
        with pytest.raises(sc.SymcnnError):
            model.subs(H=h, W=h)
    for kept in conflict:  # each condition alone admits sizes
        assert any(bool(kept.xreplace({H: h})) for h in range(4, 12))
    assert "note=" in repr(found)


def test_a_multiplier_is_fixed_at_a_fraction_as_subs_takes_it():
    """A positive multiplier takes fractions: ``a=1/2`` is one of its values (it was refused
    as below 1, the least value of a positive integer), and the answer is that of the model
    substituted; 0 and below are outside its values."""
    H = sc.symbols("H")
    model = sc.zoo.mobilenet_v2((H, H, 3), alpha="a", include_top=False)
    a = next(s for s in model.free_symbols if s.name == "a")
    half = sympy.Rational(1, 2)
    assert sc.admissible(model, H, a=half).values == \
        sc.admissible(model.subs(a=half), H).values
    for bad in (0, -1):
        with pytest.raises(sc.SolveError, match=r"is outside the values of a"):
            sc.admissible(model, H, a=bad)
