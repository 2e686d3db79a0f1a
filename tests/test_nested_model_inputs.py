"""A nested model is called on what its input declares, as in Keras.

- a size that is a number in the model's input and in the tensor must be the same number,
  and the number of axes must agree: otherwise the call is refused (Keras refuses it too),
  from Python, from a ``Sequential`` list, from a model file and as the first repetition of
  a ``Repeat``; it used to be rebuilt on the tensor's shape and counted silently;
- a symbolic size is a template: the model is rebuilt on the size it receives, and the
  later repetitions of a ``Repeat`` rebuild a block that changes the channels.
"""

from __future__ import annotations

import pytest

import symcnn as sc

from .conftest import require


def inner(size=9, name="inner"):
    return sc.Sequential([sc.Input((size,)), sc.Dense(4)], name=name)


def test_a_functional_call_on_another_number_is_refused_naming_axis_and_sizes():
    with pytest.raises(sc.ShapeError) as info:
        inner()(sc.Input((8,)))
    message = str(info.value)
    assert message.startswith("Sequential layer 'inner' on input shape (8,): ")
    assert "8 on axis 0, where the model's input has 9 in (9,)" in message
    assert message.endswith("Received: inputs=(8,)")


def test_a_sequential_element_on_another_number_is_refused_with_its_place():
    with pytest.raises(sc.ShapeError, match=r"Sequential layer 'inner' \(#1\) on input shape "
                                            r"\(8,\): the tensor has 8 on axis 0"):
        sc.Sequential([sc.Input((8,)), sc.ReLU(), inner()])


def test_another_number_of_axes_is_refused():
    with pytest.raises(sc.ShapeError, match=r"the tensor has 2 axes, where the model's input "
                                            r"has 1 axes in \(9,\)"):
        sc.Sequential([sc.Input((8, 9)), inner()])


def test_a_model_file_names_the_entry():
    spec = {"input": [8], "layers": [{"Model": {"input": [9], "layers": [{"Dense": 4}]}}]}
    with pytest.raises(sc.ShapeError, match=r"^model file: layers\[0\] \(Sequential\): "
                                            r".*8 on axis 0, where the model's input has 9"):
        sc.model_from_spec(spec)


def test_the_first_repetition_of_a_repeat_is_a_call_of_its_block():
    block = sc.Sequential([sc.Input((100,)), sc.Dense(8)], name="block")
    with pytest.raises(sc.ShapeError, match=r"^Repeat layer 'repeat' \(#0\) on input shape "
                                            r"\(8,\): Sequential layer 'block'"):
        sc.Sequential([sc.Input((8,)), sc.Repeat(block, 2)])


def test_keras_refuses_the_same_call():
    keras = require("keras")
    nested = keras.Sequential([keras.Input((9,)), keras.layers.Dense(4)])
    with pytest.raises(Exception, match=r"(?i)shape"):
        keras.Sequential([keras.Input((8,)), nested])


def test_a_symbolic_size_is_a_template_rebuilt_on_what_it_receives():
    template = sc.Sequential([sc.Input(("n",)), sc.Dense(4)], name="template")
    model = sc.Sequential([sc.Input((8,)), template])
    assert model.params == 8 * 4 + 4
    x = sc.Input(("T", 6))
    per_step = sc.Sequential([sc.Input(("S", 6)), sc.Dense(3)])
    assert sc.Model(x, per_step(x)).params == 6 * 3 + 3


def test_a_repeat_of_a_block_that_changes_the_channels_rebuilds_it_after_the_first_call():
    block = sc.Sequential([sc.Input((8,)), sc.Dense(16)])
    model = sc.Sequential([sc.Input((8,)), sc.Repeat(block, 3)])
    assert model.output_shape == (16,)
    assert model.params == (8 * 16 + 16) + 2 * (16 * 16 + 16)
