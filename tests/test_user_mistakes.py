"""First-time users' mistakes get messages that say what was meant (a hunt for misleading
messages): layers not in a list, a merge layer called on separate tensors, a budget swapped
with its expression, PyTorch's layer names at the top level, a batch axis or a misspelled
argument in a model file."""

import subprocess
import sys

import pytest
import sympy

import symcnn as sc

n = sc.symbols("n")


# -- Sequential(layer, layer) -------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda: sc.Sequential(sc.Input((32, 32, 3)), sc.Conv2D(8, 3)),
    lambda: sc.Sequential(sc.Input((32, 32, 3))),
    lambda: sc.Sequential(sc.Conv2D(8, 3)),
])
def test_layers_outside_a_list_are_told_to_go_in_one(call):
    with pytest.raises(sc.GraphError) as err:
        call()
    message = str(err.value)
    assert message.startswith("Sequential: the layers go in one list")
    assert "Sequential([sc.Input(" in message and "Received: " in message


def test_a_list_whose_first_element_is_no_input_keeps_its_message():
    with pytest.raises(sc.GraphError, match="the first element must be sc.Input"):
        sc.Sequential([sc.Conv2D(8, 3)])


# -- Add()(x, y) ---------------------------------------------------------------------------

@pytest.mark.parametrize("layer", [sc.Add(), sc.Concatenate(), sc.Multiply(name="m")])
def test_a_merge_layer_on_separate_tensors_asks_for_a_list(layer):
    x, y = sc.Input((8, 8, 3)), sc.Input((8, 8, 3))
    with pytest.raises(sc.LayerArgumentError) as err:
        layer(x, y)
    message = str(err.value)
    assert f"takes a list of tensors: {layer.type_name}()([x, y])" in message
    assert "must be True, False or None" not in message
    assert message.endswith("Received: training=" + sc.errors.brief(y))
    # the list form works and gives Keras' merged shape
    keras = pytest.importorskip("keras")
    merged = getattr(keras.layers, layer.type_name)()([keras.Input((8, 8, 3))] * 2)
    assert layer([x, y]).shape == tuple(merged.shape[1:])


def test_three_separate_tensors_ask_for_a_list_and_a_mask_keeps_its_message():
    x, y, z = sc.Input((8, 8, 3)), sc.Input((8, 8, 3)), sc.Input((8, 8, 3))
    with pytest.raises(sc.LayerArgumentError, match=r"takes a list of tensors: Add\(\)"):
        sc.Add()(x, y, z)
    with pytest.raises(sc.LayerArgumentError, match=r"does not model masks"):
        sc.Add()([x, y], mask=z)  # a Keras mask, given by keyword


def test_a_single_input_layer_on_two_tensors_says_it_takes_one():
    x, y = sc.Input((8, 8, 3)), sc.Input((8, 8, 3))
    with pytest.raises(sc.LayerArgumentError, match=r"^Conv2D layer: takes one tensor"):
        sc.Conv2D(4, 3)(x, y)


def test_a_wrong_training_value_keeps_its_message():
    x = sc.Input((8, 8, 3))
    with pytest.raises(sc.LayerArgumentError, match="must be True, False or None"):
        sc.ReLU()(x, training="yes")


# -- solve_budget(budget, expr, n) -------------------------------------------------------------

def _model():
    return sc.zoo.textbook.free_width()


@pytest.mark.parametrize("call", [
    lambda m: sc.solve_budget(100_000, m.params, n),
    lambda m: sc.within_budget(100_000, m.params, n),
    lambda m: sc.solve_budget(100_000, m.params, "n"),
    lambda m: sc.solve_budget({100_000: m.params}, n),
])
def test_a_swapped_budget_is_refused(call):
    model = _model()
    with pytest.raises(sc.SolveError) as err:
        call(model)
    message = str(err.value)
    assert "the budget must be a number; did you swap expr and budget?" in message
    assert "arbitrarily large" not in message and "Received: expr=100000" in message


def test_the_unswapped_call_answers_the_brute_force_largest_value():
    params = _model().params
    fits = [v for v in range(1, 2000) if params.subs(n, v) <= 100_000]
    assert fits == list(range(1, len(fits) + 1))
    assert sc.solve_budget(params, 100_000, n) == fits[-1]


def test_a_budget_growing_with_the_symbol_is_refused_with_the_difference_to_solve():
    with pytest.raises(sc.SolveError, match=r"solve_budget\(expr - quantity, 0, n\)"):
        sc.solve_budget(n**2, 100 * n, n)
    fits = [v for v in range(1, 500) if v**2 - 100 * v <= 0]
    assert sc.solve_budget(n**2 - 100 * n, 0, n) == max(fits)


def test_a_budget_tied_to_the_symbol_by_keyword_is_refused():
    H = sc.symbols("H")
    with pytest.raises(sc.SolveError, match="the budget depends on n"):
        sc.solve_budget(n * H, H, n, H=n)
    assert sc.solve_budget(n * H, H + 7, n, H=3) == 3  # 3*3 <= 10 < 3*4


def test_the_model_method_refuses_a_symbolic_budget():
    model = _model()
    with pytest.raises(sc.SolveError, match=r"budget is a number: model.solve_budget\(params="):
        model.solve_budget(params=model.params)


def test_solve_takes_the_equation_either_way_round():
    params = _model().params
    a, b = sc.solve(100_000, params, n), sc.solve(params, 100_000, n)
    assert a.integers == b.integers == sympy.FiniteSet(
        *[v for v in range(1, 2000) if params.subs(n, v) == 100_000])


# -- sc.Conv2d ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, keras", [("Conv2d", "Conv2D"), ("MaxPool2d", "MaxPool2D")])
def test_pytorch_names_at_the_top_level_point_to_both(name, keras):
    assert keras in dir(sc) and name in sc.nn.__all__
    with pytest.raises(AttributeError) as err:
        getattr(sc, name)
    assert str(err.value) == (f"module 'symcnn' has no attribute {name!r}. Did you mean "
                              f"{keras!r}? (PyTorch's layers are sc.nn.{name}, channels first)")


def test_a_pytorch_name_without_a_close_keras_one_still_points_to_nn():
    with pytest.raises(AttributeError, match=r"'Linear'\. PyTorch's layers are sc.nn.Linear"):
        sc.Linear


def test_a_typo_of_a_public_name_is_suggested_and_hasattr_still_works():
    with pytest.raises(AttributeError, match=r"Did you mean 'solve_budget'\?"):
        sc.solve_budgt
    assert not hasattr(sc, "no_such_thing") and not hasattr(sc, "Conv2d")
    assert hasattr(sc, "Conv2D")


def test_a_missing_name_in_a_fresh_interpreter_says_did_you_mean():
    code = ("import symcnn as sc\ntry:\n    sc.Conv2d\nexcept AttributeError as e:\n"
            "    print(e)\nprint(hasattr(sc, 'x'))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "module 'symcnn' has no attribute 'Conv2d'. Did you mean 'Conv2D'? (PyTorch's layers "
        "are sc.nn.Conv2d, channels first)", "False"]


# -- model files -------------------------------------------------------------------------------

@pytest.mark.parametrize("shape, first, rest", [
    ([None, 32, 32, 3], "null", "32, 32, 3"),
    (["None", 32, 32, 3], "None", "32, 32, 3"),
    ([None, 8, 8, 8, 1], "null", "8, 8, 8, 1"),
])
def test_a_leading_null_before_the_sizes_reads_as_a_batch_axis(shape, first, rest):
    with pytest.raises(sc.SpecError) as err:
        sc.model_from_spec({"input": shape, "layers": ["Flatten"]})
    message = str(err.value)
    assert "name it (symbols: [T]" not in message
    assert f"looks like it starts with one. Drop the leading {first}: [{rest}]" in message
    # Python's sc.Input says the same of the same shape
    with pytest.raises(sc.LayerArgumentError, match="looks like it starts with one. Drop the "
                                                    "leading None"):
        sc.Input(tuple(None if v in (None, "None") else v for v in shape))
    assert sc.model_from_spec({"input": shape[1:], "layers": ["Flatten"]}).output_shape == (
        sympy.prod(shape[1:]),)


def test_a_null_elsewhere_keeps_asking_for_a_name():
    with pytest.raises(sc.SpecError, match=r"name it \(symbols: \[T\]"):
        sc.model_from_spec({"input": [None, 3], "layers": ["Flatten"]})


@pytest.mark.parametrize("layer, args, typo, meant", [
    ("Conv2D", {"filter": 40, "kernel_size": 3}, "filter", "filters"),
    ("Dense", {"unit": 4}, "unit", "units"),
    ("nn.Conv2d", {"in_channel": 3, "out_channels": 4, "kernel_size": 3}, "in_channel",
     "in_channels"),
])
def test_a_misspelled_argument_in_a_file_is_named_with_the_closest(layer, args, typo, meant):
    with pytest.raises(sc.SpecError) as err:
        sc.model_from_spec({"input": [3, 32, 32], "layers": [{layer: args}]})
    message = str(err.value)
    assert f"unknown argument `{typo}`; did you mean `{meant}`?" in message
    assert "->" not in message and "kwargs" not in message and "'str | None'" not in message
    fixed = {meant if k == typo else k: v for k, v in args.items()}
    assert sc.model_from_spec({"input": [3, 32, 32], "layers": [{layer: fixed}]}).params > 0


def test_arguments_every_layer_takes_are_not_typos():
    model = sc.model_from_spec({"input": [4], "layers": [
        {"Dense": {"units": 4, "trainable": False, "kernel_initializer": "zeros",
                   "dtype": "float32"}}]})
    assert model.output_shape == (4,) and model.trainable_params == 0


def test_a_missing_argument_in_a_file_lists_the_names_without_annotations():
    with pytest.raises(sc.SpecError) as err:
        sc.model_from_spec({"input": [4], "layers": ["Dense"]})
    message = str(err.value)
    assert "do not fit Dense(units, activation, use_bias" in message
    assert "->" not in message and "kwargs" not in message
