"""Hostile values in sweeps, model files and substitutions get symcnn's own errors, said as
the rest of symcnn says them. Found by a hostile-input hunt: a sweep over
``range(1, 10**30)`` raised Python's OverflowError, a sweep at ``2**5000`` was evaluated
although ``model.subs`` refuses sizes above ``2**4096``, ``dtype: float7`` was accepted and
ignored, ``self:`` gave Python's "got multiple values", a control character in a key reached
the error text raw, a ``1e-400`` budget printed as 400 digits, and a substitution refused by
a layer did not say which layer or which value."""

from __future__ import annotations

import inspect
import io
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest
import sympy

import symcnn as sc
from symcnn.cli import main
from symcnn.cli.options import EXIT_NO_SOLUTION
from symcnn.symbols import MAX_SIZE_BITS

from .test_bounded_reads import run_cli, within


@pytest.fixture(scope="module")
def free_width():
    return sc.zoo.textbook.free_width()


# -- sweeps -------------------------------------------------------------------------------

@pytest.mark.parametrize("stop", [10**30, 2**63, 2**62 + 10**7])
def test_a_sweep_past_sys_maxsize_is_the_usual_grid_error(free_width, stop):
    axis = range(1, stop)
    count = axis[-1] - axis[0] + 1  # its length, which len() refuses past sys.maxsize
    with pytest.raises(sc.SolveError, match=rf"sweep: more than 10,000,000 grid points; .* "
                                            rf"Received: n: {count:,} values"):
        sc.sweep(free_width, n=range(1, stop))


@pytest.mark.parametrize("value", [2**MAX_SIZE_BITS - 1, 2**MAX_SIZE_BITS, 2**5000])
def test_a_sweep_takes_the_values_subs_takes_and_refuses_the_others(free_width, value):
    try:
        expected = free_width.subs(n=value).params
    except sc.SymcnnError as err:
        assert "is larger than 2**4096 (about 1,233 digits), the largest size" in str(err)
        for grid in ([value], value, range(value, value + 2), [1, value]):
            with pytest.raises(sc.ExpressionError, match=r"sweep: `n` takes a value larger than "
                                                         r"2\*\*4096 in size \(about 1,233 "
                                                         r"digits\), the largest size"):
                sc.sweep(free_width, n=grid)
    else:
        assert sc.sweep(free_width, n=[value])["params"].tolist() == [expected]
        assert sc.sweep(free_width.params, n=[value]).tolist() == [expected]


# -- model files --------------------------------------------------------------------------

def _dense(**args):
    return {"input": [8], "layers": [{"Dense": {"units": 3, **args}}]}


def _keras_takes(dtype) -> bool:
    import keras

    try:
        keras.layers.Dense(3, dtype=dtype)
    except (ValueError, TypeError):
        return False
    return True


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float64", "mixed_float16",
                                   "mixed_bfloat16", "int8_from_float32", "float7", "float33",
                                   "mixed_float7", "__import__('os')", ""])
def test_a_model_file_takes_the_dtypes_keras_takes(dtype):
    if _keras_takes(dtype):
        assert sc.model_from_spec(_dense(dtype=dtype)).params == 27
    else:
        with pytest.raises(sc.SpecError, match=r"layers\[0\] \(Dense\): `dtype` must be a dtype "
                                               r"name symcnn knows \(those training_memory "
                                               r"takes: float32, float16, bfloat16"):
            sc.model_from_spec(_dense(dtype=dtype))


def test_every_dtype_the_message_lists_is_one_training_memory_takes():
    with pytest.raises(sc.SpecError) as err:
        sc.model_from_spec(_dense(dtype="float7"))
    listed = str(err.value).split("takes: ")[1].split(", ...)")[0].split(", ")
    model = sc.model_from_spec(_dense())
    assert "float32" in listed and "bfloat16" in listed
    for dtype in listed:
        assert model.training_memory(batch=1, dtype=dtype).total > 0
        assert sc.model_from_spec(_dense(dtype=dtype)).params == model.params


def test_self_is_not_an_argument_and_the_message_lists_the_real_ones():
    with pytest.raises(sc.SpecError) as err:
        sc.model_from_spec(_dense(self=1))
    takes = [p for p in inspect.signature(sc.Dense).parameters
             if inspect.signature(sc.Dense).parameters[p].kind is not inspect.Parameter.VAR_KEYWORD]
    assert str(err.value) == (f"model file: layers[0] (Dense): `self` is not an argument of "
                              f"Dense; Dense takes {', '.join(takes)}. Received: self=1")


@pytest.mark.parametrize("key", ["x\x00", "x\n", "x\u202e", "x\x1b[31m"])
def test_a_location_from_the_file_has_its_control_characters_escaped(key, tmp_path):
    spec = {"inputs": {key: [4]}, "layers": [{"Dense": 3}]}
    with pytest.raises(sc.SymcnnError) as err:
        sc.model_from_spec(spec)
    message = str(err.value)
    assert message.isprintable()
    assert message.startswith(f"model file: inputs.{repr(key)[1:-1]}: ")
    path = tmp_path / "m.json"
    path.write_text(json.dumps(spec))
    code, out = run_cli(["summary", str(path)])
    assert code == 3 and out.rstrip("\n").isprintable()


# -- budgets and substitutions ------------------------------------------------------------

def test_a_tiny_budget_prints_short_and_exact(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(sc.model_to_spec(sc.zoo.textbook.free_width())))
    out = io.StringIO()
    with within(10):
        code = main(["solve", str(path), "--for", "n", "--budget", "params=1e-400"], out=out)
    text = out.getvalue()
    assert code == EXIT_NO_SOLUTION and len(text) < 200, text
    printed = text.rsplit("> ", 1)[1].split(")")[0]  # "... (48,480 > 1e-400)."
    assert sc.parse_expression(printed) == sympy.Rational(1, 10**400)


def test_a_substitution_a_layer_refuses_names_the_layer_and_the_value():
    alpha = sc.multiplier("alpha")
    model = sc.zoo.mobilenet_v2(alpha=alpha)
    with pytest.raises(sc.LayerArgumentError) as err:
        model.subs(alpha="2**4095")
    message = str(err.value)
    first = next(r for r in model.layers if alpha in r.layer.free_symbols)  # substituted first
    assert message.startswith(f"{first.type} layer '{first.name}' subs(alpha=<an integer of "
                              f"1,233 digits>): `filters` is larger than 2**4096")
