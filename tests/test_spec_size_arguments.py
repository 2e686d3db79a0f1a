"""Every size argument of a model file is read as a size expression over the declared
symbols, whatever the layer's naming (Keras' ``strides``, PyTorch's ``stride``): an
undeclared name is refused, naming the entry, the argument and the text, and a file written
with symbolic values reads back as the model it was written from. A name a layer makes a
symbol of by itself (a user layer's argument) must be declared too: the model's free symbols
are the file's symbols, never one added silently.

Found by a hunt: ``nn.Conv2d`` with ``stride: strid`` built a model in a new symbol
``strid``, ``nn.LSTM`` with ``hidden_size: zzq`` counted ``4*zzq**2 + 40*zzq``, and a file
``model_to_spec`` wrote with ``stride=n + 1`` did not read back.
"""

from __future__ import annotations

import json
import re

import pytest

import symcnn as sc

H, n = sc.symbols("H n")

#: (type in the file, its arguments with a size argument written as text, that argument,
#: the same layer built in Python with the text's expression)
SIZE_TEXTS = [
    ("nn.Conv2d", {"in_channels": 3, "out_channels": 4, "kernel_size": 3, "stride": "n + 1"},
     "stride", lambda: sc.nn.Conv2d(3, 4, 3, stride=n + 1)),
    ("nn.ConvTranspose2d", {"in_channels": 3, "out_channels": 4, "kernel_size": 3,
                            "stride": "2*n"},
     "stride", lambda: sc.nn.ConvTranspose2d(3, 4, 3, stride=2 * n)),
    ("nn.MaxPool2d", {"kernel_size": 2, "stride": "2*n"}, "stride",
     lambda: sc.nn.MaxPool2d(2, stride=2 * n)),
    ("nn.AvgPool2d", {"kernel_size": 2, "stride": "n"}, "stride",
     lambda: sc.nn.AvgPool2d(2, stride=n)),
]
#: the same for sequences (input (T, features)): recurrent sizes
SEQUENCE_TEXTS = [
    ("nn.LSTM", {"input_size": 3, "hidden_size": "2*n", "batch_first": True}, "hidden_size",
     lambda: sc.nn.LSTM(3, 2 * n, batch_first=True)),
    ("nn.GRU", {"input_size": 3, "hidden_size": "n", "num_layers": "n + 1",
                "batch_first": True}, "num_layers",
     lambda: sc.nn.GRU(3, n, num_layers=n + 1, batch_first=True)),
    ("nn.LSTM", {"input_size": 3, "hidden_size": 8, "proj_size": "n", "batch_first": True},
     "proj_size", lambda: sc.nn.LSTM(3, 8, proj_size=n, batch_first=True)),
]


def document(type_name, args, input_shape):
    """A file of one layer; a recurrent one (several outputs: PyTorch's tuple) functional."""
    if (type_name, args) in [(t, a) for t, a, _, _ in SEQUENCE_TEXTS] or "zzq" in \
            args.values() and type_name in ("nn.LSTM", "nn.GRU"):
        return {"symbols": "H n", "inputs": {"x": list(input_shape)},
                "layers": [{"name": "rnn", type_name: args}], "outputs": "rnn"}
    return {"symbols": "H n", "input": list(input_shape), "layers": [{type_name: args}]}


def python_model(shape, layer):
    x = sc.Input(tuple(H if s == "H" else s for s in shape))
    y = layer(x)
    return sc.Model(x, list(y) if isinstance(y, (list, tuple)) else y)


def same_model(a, b):
    assert a.output_shape == b.output_shape
    assert (a.params, a.trainable_params, a.macs) == (b.params, b.trainable_params, b.macs)
    assert a.free_symbols == b.free_symbols


@pytest.mark.parametrize("type_name, args, arg, built", SIZE_TEXTS + SEQUENCE_TEXTS,
                         ids=[f"{t}.{a}" for t, _, a, _ in SIZE_TEXTS + SEQUENCE_TEXTS])
def test_a_size_written_as_text_is_read_as_its_expression_and_reads_back(
        type_name, args, arg, built):
    shape = (3, "H", "H") if (type_name, args, arg, built) in SIZE_TEXTS else ("H", 3)
    read = sc.model_from_spec(document(type_name, args, shape))
    python = python_model(shape, built())
    same_model(read, python)
    again = sc.model_from_spec(json.loads(json.dumps(sc.model_to_spec(python))))
    same_model(again, python)


@pytest.mark.parametrize("type_name, args, arg, built", SIZE_TEXTS + SEQUENCE_TEXTS,
                         ids=[f"{t}.{a}" for t, _, a, _ in SIZE_TEXTS + SEQUENCE_TEXTS])
def test_an_undeclared_name_in_a_size_is_refused_naming_entry_argument_and_text(
        type_name, args, arg, built):
    shape = (3, "H", "H") if (type_name, args, arg, built) in SIZE_TEXTS else ("H", 3)
    typo = {**args, arg: "zzq"}
    with pytest.raises(sc.SpecError, match=rf"layers\[0\] \({type_name}\): `{arg}`: .*unknown "
                                           rf"name 'zzq' \(declared symbols: H, n\)"):
        sc.model_from_spec(document(type_name, typo, shape))


def test_window_attention_sizes_are_expressions_too():
    args = {"dim": "8*n", "window_size": ["7", 7], "num_heads": 2}  # a window: numbers
    read = sc.model_from_spec(document("nn.ShiftedWindowAttention", args, ("H", "H", "8*n")))
    python = sc.Sequential([sc.Input((H, H, 8 * n)),
                            sc.nn.ShiftedWindowAttention(8 * n, (7, 7), 2)])
    same_model(read, python)
    same_model(sc.model_from_spec(sc.model_to_spec(python)), python)
    for arg, typo in (("dim", "8*m"), ("window_size", ["w", 7])):
        with pytest.raises(sc.SpecError, match=rf"`{arg}`: .*unknown name '[mw]'"):
            sc.model_from_spec(document("nn.ShiftedWindowAttention", {**args, arg: typo},
                                        ("H", "H", "8*n")))


class Widen(sc.Layer):
    """A user layer that reads its own argument as a size: a name becomes a symbol (``growth``
    is no size argument model files know: :data:`symcnn.spec.SIZE_ARGS`)."""

    def __init__(self, growth, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._set(growth=self._size(growth, "growth"))

    def output_shape_for(self, shape, check):
        return (*shape[:-1], self.growth)

    def params_for(self, shape):
        return shape[-1] * self.growth, 0


def test_a_user_layer_that_makes_a_symbol_of_an_undeclared_name_is_refused():
    custom = {"Widen": Widen}
    declared = {"symbols": "n", "input": [4], "layers": [{"Widen": {"growth": "n"}}]}
    assert sc.model_from_spec(declared, custom_objects=custom).params == 4 * n
    typo = {"symbols": "n", "input": [4], "layers": [{"Widen": {"growth": "m"}}]}
    with pytest.raises(sc.SpecError, match=r"model file: layers\[0\]\.Widen\.growth: unknown "
                                           r"name 'm' \(declared symbols: n\); declare it "
                                           r"under `symbols`.*Received: growth='m'"):
        sc.model_from_spec(typo, custom_objects=custom)


@pytest.mark.parametrize("message, sentence", [("", "size assertion failed."),
                                               ("Wrong image height!", "Wrong image height!"),
                                               ("wrong height", "wrong height.")])
def test_a_failed_size_assertion_is_a_sentence_before_what_was_received(message, sentence):
    doc = {"input": [8, 8, 3], "layers": [{"nn.SizeAssert": {"lhs": 8, "rhs": 224,
                                                             "message": message}}]}
    with pytest.raises(sc.ShapeError, match=rf"{re.escape(sentence)} Received: 8 != 224"):
        sc.model_from_spec(doc)


def test_two_layers_of_a_sequential_file_with_one_name_are_placed():
    """A functional file names the entry of a repeated name; a Sequential file said only
    ``Model: two different layers are both named 'd'``."""
    doc = {"input": [4], "layers": [{"name": "d", "Dense": 4}, "ReLU",
                                    {"Dense": {"units": 4, "name": "d"}}]}
    with pytest.raises(sc.SpecError, match=r"model file: layers\[2\] \(Dense\): layers\[0\] has "
                                           r"the name 'd' too; layer names must be unique"):
        sc.model_from_spec(doc)
    with pytest.raises(sc.GraphError, match="both named 'd'"):  # as Python says it
        sc.Sequential([sc.Input((4,)), sc.Dense(4, name="d"), sc.Dense(4, name="d")])
