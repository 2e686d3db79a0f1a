"""A receptive-field error names the layer as the model names it.

An unnamed layer keeps ``name=None``; the model names its record (``repeat``, ``repeat_1``,
``odd``), and the summary's rows print that name. The refusals said ``Repeat layer: the
receptive field of L repetitions of 'Conv1D' ...``, which of several Repeats unsaid; they
now say ``Repeat layer 'repeat': ...``, as the refusals of named layers did already.
"""

from __future__ import annotations

import pytest
import sympy

import symcnn as sc
from symcnn.receptive import input_span

from .test_receptive_repeat import block_on


def refusal(model, ask=lambda m: m.receptive_field) -> str:
    with pytest.raises(sc.CostError) as err:
        ask(model)
    return str(err.value)


def record_names(model) -> list:
    return [r.name for r in model.layers]


def test_a_repeat_without_a_closed_form_is_named_as_its_record():
    stride_s = lambda: sc.Conv1D(2, 3, strides="s", padding="same")  # noqa: E731
    model = sc.Sequential([sc.Input((1, 2)), sc.Repeat(sc.Conv1D(2, 1), "L"),
                           sc.Repeat(stride_s(), "L")])
    assert record_names(model) == ["repeat", "repeat_1"]
    assert model.layers[1].layer.name is None  # the name is the record's, not the layer's
    assert refusal(model).startswith("Repeat layer 'repeat_1': the receptive field of L "
                                     "repetitions of 'Conv1D' is not computed")


def test_a_repeat_whose_jump_is_too_large_is_named_as_its_record():
    model = sc.Sequential([sc.Input((1, 2)),
                           sc.Repeat(sc.Conv1D(2, 3, strides=2, padding="same"), 10**9)])
    assert refusal(model).startswith("Repeat layer 'repeat': the receptive field of "
                                     "1,000,000,000 repetitions of 'Conv1D' has a jump")


def test_a_repeat_walked_past_the_bound_is_named_as_its_record():
    model = sc.Sequential([sc.Input((1, 2)),
                           sc.Repeat(block_on((1, 2), [(3, 2, 1, "same")], True), 10**9)])
    assert refusal(model).startswith("Repeat layer 'repeat': the receptive field of "
                                     "1,000,000,000 repetitions of 'block' is not computed")


def test_a_repeat_that_changes_the_shape_is_named_as_its_record():
    """Its window is asked of the Repeat itself (``window_for``), which knows no name."""
    model = sc.Sequential([sc.Input(("T", 2)),
                           sc.Repeat(sc.Conv1D(2, 3, strides=2, padding="same"), "L")])
    assert refusal(model).startswith("Repeat layer 'repeat': the receptive field of L "
                                     "repetitions of 'Conv1D' needs one window")


def test_input_span_names_the_repeat_it_will_not_walk_as_its_record():
    x = sc.Input(("H", 2))
    block = sc.Model(x, sc.Add()([x, sc.Conv1D(2, 3, padding="same")(x)]), name="residual")
    model = sc.Sequential([sc.Input((64, 2)), sc.Conv1D(2, 1), sc.Repeat(block, 10**9)])
    assert refusal(model, lambda m: input_span(m, (0,))).startswith(
        "input_span: Repeat layer 'repeat': the positions read through 1,000,000,000 "
        "repetitions of a block")


class Gain(sc.Layer):
    """A layer written outside symcnn that states no window."""

    def output_shape_for(self, shape, check):
        return shape

    def params_for(self, shape):
        return shape[-1], sympy.Integer(0)


def test_a_layer_that_states_no_window_is_named_as_its_record():
    model = sc.Sequential([sc.Input((8, 2)), Gain(), sc.Conv1D(2, 3)])
    assert refusal(model).startswith("Gain layer 'gain': no receptive field")
    named = sc.Sequential([sc.Input((8, 2)), Gain(name="mine")])
    assert refusal(named).startswith("Gain layer 'mine': no receptive field")


def test_a_repeat_inside_a_nested_model_is_named_as_that_model_names_it():
    x = sc.Input((1, 2))
    inner = sc.Model(x, sc.Repeat(sc.Conv1D(2, 3, strides="s", padding="same"), "L")(x),
                     name="stem")
    model = sc.Sequential([sc.Input((1, 2)), inner])
    assert refusal(model).startswith("Repeat layer 'repeat': the receptive field of L")
