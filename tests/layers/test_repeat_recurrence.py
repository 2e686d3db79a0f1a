"""Repeat of a layer or block that changes the shape: closed forms by solving the recurrence,
checked against the same layers written out, at many depths and sizes."""

from __future__ import annotations

import functools

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc

H, W, L = sc.symbols("H W L")

BLOCKS = {
    "valid 3x3": lambda: sc.Conv2D(8, 3),
    "same stride 2": lambda: sc.Conv2D(8, 3, strides=2, padding="same"),
    "pool 2x2": lambda: sc.MaxPooling2D(2),
    "valid 3x3 stride 2": lambda: sc.Conv2D(8, 3, strides=2),
    "padded 3x3 stride 2": lambda: sc.Conv2D(8, 3, strides=2, padding=1),
    "dilated 3x3": lambda: sc.Conv2D(8, 3, dilation_rate=2),
}


@functools.lru_cache(maxsize=None)
def repeated(name):
    return sc.Sequential([sc.Input((H, W, 3)), sc.Repeat(BLOCKS[name](), L)])


def written_out(name, times, h, w):
    return sc.Sequential([sc.Input((h, w, 3))] + [BLOCKS[name]() for _ in range(times)])


def test_the_textbook_closed_forms():
    assert repeated("valid 3x3").output_shape[:2] == (H - 2 * L, W - 2 * L)
    assert repeated("same stride 2").output_shape[0] == sympy.ceiling(H / 2**L)
    assert repeated("pool 2x2").output_shape[0] == sympy.floor(H / 2**L)
    assert repeated("valid 3x3").layers[-1].receptive_field[0].size == 1 + 2 * L


@settings(max_examples=20)
@given(name=st.sampled_from(sorted(BLOCKS)), times=st.integers(1, 5),
       h=st.integers(1, 90), w=st.integers(1, 90))
def test_repeat_equals_the_layers_written_out(name, times, h, w):
    model = repeated(name)
    values = {H: h, W: w, L: times}
    admitted = all(bool(c.xreplace(values)) for c in model.constraints)
    try:
        unrolled = written_out(name, times, h, w)
    except sc.ShapeError:
        assert not admitted
        return
    assert admitted
    assert tuple(d.xreplace(values) for d in model.output_shape) == unrolled.output_shape
    assert model.params.xreplace(values) == unrolled.params
    assert sympy.sympify(model.macs.xreplace(values)).doit() == unrolled.macs
    # every repetition's output, not the last one's only (issue found in the tenth session)
    assert sympy.sympify(model.activation_elements.xreplace(values)).doit() == \
        unrolled.activation_elements
    substituted = model.subs(H=h, W=w, L=times)
    assert substituted.output_shape == unrolled.output_shape
    assert substituted.macs == unrolled.macs


@pytest.mark.parametrize("name", ["valid 3x3", "pool 2x2", "dilated 3x3"])
@pytest.mark.parametrize("times", [1, 2, 4])
def test_receptive_field_equals_the_layers_written_out(name, times):
    symbolic = repeated(name).layers[-1].receptive_field
    unrolled = written_out(name, times, 64, 64).layers[-1].receptive_field
    for a, b in zip(symbolic, unrolled):
        assert (a.size.subs(L, times), a.jump.subs(L, times)) == (b.size, b.jump)


def test_deepest_l_under_a_parameter_budget_equals_brute_force():
    model = sc.Sequential([sc.Input((64, 64, 3)), sc.Repeat(sc.Conv2D(16, 3), L)])
    budget = 40_000
    found = model.solve_budget(params=budget, for_=L)
    within = [t for t in range(1, 40)
              if all(bool(c.subs(L, t)) for c in model.constraints)
              and model.params.subs(L, t) <= budget]
    assert within == list(range(1, max(within) + 1))
    assert found == max(within)
    # the size binds before the budget does: at most 31 valid 3x3 convolutions on 64
    assert model.solve_budget(params=10**9, for_=L) == 31


def test_a_rule_without_a_closed_form_says_so():
    with pytest.raises(sc.ShapeError, match="not an integer, so nested roundings do not "
                                            "collapse"):
        sc.Sequential([sc.Input((H, W, 3)), sc.Repeat(sc.Conv2D(8, 4, strides=3), L)])
    with pytest.raises(sc.ShapeError, match="changes the rank"):
        sc.Sequential([sc.Input((H, W, 3)), sc.Repeat(sc.Flatten(), L)])


def test_macs_without_a_closed_form_are_one_sum_over_the_repetitions():
    from symcnn.render.exprs import show_latex

    model = sc.Sequential([sc.Input((H, W, 16)),
                           sc.Repeat(sc.Conv2D(16, 3, strides=2, padding="same"), L)])
    # was 2304*ceiling(H/2)*ceiling(W/2) + Sum(...(H/(2*2**_t))..., (_t, 1, L - 1))
    assert sc.show(model.macs) == "Sum(2304*ceiling(H/2**t)*ceiling(W/2**t), (t, 1, L))"
    assert show_latex(model.macs) == (r"\sum_{t=1}^{L} 2304 \left\lceil{\frac{H}{2^{t}}}"
                                      r"\right\rceil \left\lceil{\frac{W}{2^{t}}}\right\rceil")
    assert model.free_symbols == {H, W, L}


def test_activations_of_a_shape_changing_block_sum_every_repetition():
    """A Repeat of L blocks that change the shape counted the last repetition's output only:
    64*L**2 - 4096*L + 65536 elements for L valid 3x3 convolutions on 64x64, which fell with
    L, so a budget on activations answered L = 31 where L = 2 already exceeds it."""
    x = sc.Input((64, 64, 3))
    y = sc.ReLU()(sc.BatchNormalization()(sc.Conv2D(16, 3)(x)))
    block = sc.Model(x, y)
    deep = sc.Sequential([sc.Input((64, 64, 3)), sc.Conv2D(3, 1), sc.Repeat(block, L)])
    for times in (1, 2, 5):
        assert deep.activation_elements.xreplace({L: times}) == \
            deep.subs(L=times).activation_elements
    convs = sc.Sequential([sc.Input((64, 64, 3)), sc.Repeat(sc.Conv2D(16, 3), L)])
    assert convs.solve_budget(activation_elements=119_104, for_=L) == 2


def test_a_repeat_of_a_repeat_multiplies_the_shift():
    """Was refused with 'the step _x0 - 2*L depends on other sizes' (an internal name): the
    inner Repeat's step x -> x - 2*L is a shift, so M of them leave H - 2*L*M."""
    M = sc.symbols("M")
    model = sc.Sequential([sc.Input((H, H, 3)), sc.Repeat(sc.Repeat(sc.Conv2D(3, 3), L), M)])
    assert model.output_shape == (H - 2 * L * M, H - 2 * L * M, 3)
    assert model.params == 84 * L * M
    for inner, outer in [(1, 1), (2, 3), (3, 2)]:
        written = sc.Sequential([sc.Input((40, 40, 3))]
                                + [sc.Conv2D(3, 3) for _ in range(inner * outer)])
        values = {L: inner, M: outer, H: 40}
        assert tuple(d.xreplace(values) for d in model.output_shape) == written.output_shape
        assert model.macs.xreplace(values) == written.macs
        assert all(bool(c.xreplace(values)) for c in model.constraints)
    assert not all(bool(c.xreplace({L: 4, M: 5, H: 40})) for c in model.constraints)


def test_a_count_that_no_size_admits_says_which_repetition_fails():
    """Was '...: False fails'."""
    with pytest.raises(sc.ShapeError) as err:
        sc.Sequential([sc.Input((H, H, 3)), sc.Repeat(sc.Conv2D(3, 3), H)])
    assert "False fails" not in str(err.value)
    assert ("the block does not fit the input of its last repetition, (2 - H, 2 - H, 3): it "
            "needs 2 - H >= 3, which no admissible value of H satisfies") in str(err.value)


def test_messages_show_the_size_a_repetition_receives_as_x():
    with pytest.raises(sc.ShapeError) as err:
        sc.Sequential([sc.Input((H, W, 3)), sc.Repeat(sc.Conv2D(3, "k", strides=2), L)])
    assert "one repetition maps a size x to -k + floor(k/2 + x/2) + 1, which also depends " \
           "on k" in str(err.value)
    assert "_x" not in str(err.value)
    with pytest.raises(sc.ShapeError) as err:
        sc.Sequential([sc.Input((H, W, 3)), sc.Repeat(sc.Permute((2, 1, 3)), L)])
    assert "axis 0 of the block's output, x_1 for an input of sizes (x_0, x_1, x_2), " \
           "depends on other axes" in str(err.value)
