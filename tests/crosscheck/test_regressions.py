"""Cases the random cross-checks found, pasted from their failure reports.

Each spec is exactly what a failing run printed; the assertion is the one the report
suggests. Keep them: they pin the fixes in symcnn's core.
"""

import pytest
import sympy

import symcnn as sc

from ..conftest import require
from .build import keras_disagreements, symbolic_disagreements
from .torch_specs import torch_disagreements

pytestmark = pytest.mark.frameworks


def test_ceil_mode_pooling_accepts_a_window_that_overhangs_the_input_by_less_than_a_stride():
    # symcnn refused this (window 2 > input 1); PyTorch rounds up to one window.
    require("torch")
    spec = {"input": (1, 1, 1), "outputs": ("t1",),
            "calls": [("t1", "l1", "MaxPool2d",
                       {"kernel_size": (1, 2), "stride": 2, "padding": 0, "ceil_mode": True},
                       ("t0",))]}
    assert not torch_disagreements(spec)


def test_ceil_mode_pooling_still_refuses_a_window_no_rounding_can_reach():
    # torch: ceil((1 - 4)/3) + 1 = 0 windows
    with pytest.raises(sc.ShapeError, match=r"window spans 4 but the input has 1 \(\+ 2 with"):
        sc.Sequential([sc.Input((2, 1)),
                       sc.MaxPooling1D(4, strides=3, padding=0, ceil_mode=True,
                                       data_format="channels_first")])


def test_ceil_mode_requirement_on_a_symbolic_size_is_input_plus_stride_minus_one_at_least_k():
    H = sc.symbols("H")
    model = sc.Sequential([sc.Input((2, H)),
                           sc.MaxPooling1D(4, strides=3, padding=0, ceil_mode=True,
                                           data_format="channels_first")])
    assert model.constraints == [H >= 2]


def test_a_shared_layer_on_inputs_equal_only_at_some_sizes_records_a_constraint():
    # The symbolic build raised "incompatible inputs" for a model valid at I2 = 1: the
    # shared Dense sees last axes I2 and 1.
    spec = {"input": (3, 2, 1), "sequential": False, "outputs": ("t3",),
            "calls": [("t1", "l1", "Dense", {"units": 2}, ("t0",)),
                      ("t2", "l2", "GlobalAveragePooling2D",
                       {"keepdims": True, "data_format": "channels_first"}, ("t0",)),
                      ("t3", "l1", None, None, ("t2",))]}
    assert not symbolic_disagreements(spec)
    C = sc.symbols("C")
    x = sc.Input((3, 2, C))
    dense = sc.Dense(2, name="shared")
    pooled = sc.GlobalAveragePooling2D(keepdims=True, data_format="channels_first")(x)  # (3, 1, 1)
    model = sc.Model(x, [dense(x), dense(pooled)])
    assert model.constraints == [sympy.Eq(2 * C + 2, 4)]
    assert model.subs(C=1).params == 4


def test_a_shared_layer_on_inputs_that_never_match_is_still_refused():
    x = sc.Input(("H", "W", 3))
    dense = sc.Dense(2)
    with pytest.raises(sc.GraphError, match="incompatible inputs"):
        sc.Model(x, [dense(x), dense(sc.Conv2D(5, 1)(x))])


def test_layer_subs_accepts_plain_int_values_for_a_bare_symbol_argument():
    n = sc.symbols("n")
    assert sc.Dense(n).subs({n: 4}).units == 4


def test_keras_merges_squeeze_excitation_gates_and_shared_layers_in_one_model():
    # a functional model the generator draws, pinned: broadcasting gate, shared conv, crop
    require("keras")
    spec = {"input": (9, 7, 3), "sequential": False, "outputs": ("t7",),
            "calls": [("t1", "l1", "Conv2D", {"filters": 3, "kernel_size": 3, "padding": "same",
                                              "strides": 2}, ("t0",)),
                      ("t2", "l2", "GlobalAveragePooling2D", {"keepdims": True}, ("t1",)),
                      ("t3", "l3", "Dense", {"units": 3}, ("t2",)),
                      ("t4", "l4", "Multiply", {}, ("t1", "t3")),
                      ("t5", "l1", None, None, ("t0",)),
                      ("t6", "l6", "Cropping2D", {"cropping": ((0, 0), (0, 0))}, ("t5",)),
                      ("t7", "l7", "Add", {}, ("t4", "t6"))]}
    assert not keras_disagreements(spec)
    assert not symbolic_disagreements(spec)
