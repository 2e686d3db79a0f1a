"""Malformed Keras model configs (``model.to_json()`` shapes an attacker or a broken file
could give). Each must be refused with a SymcnnError, never a bare Python exception."""

IN = {"class_name": "InputLayer", "config": {"batch_shape": [None, 8], "name": "x"}}
DENSE = {"class_name": "Dense", "config": {"units": 4, "name": "d"}}


def seq(*layers, **config):
    return {"class_name": "Sequential", "config": {"layers": list(layers), **config}}


def fun(layers, inputs, outputs):
    return {"class_name": "Functional", "config": {"layers": layers, "input_layers": inputs,
                                                   "output_layers": outputs}}


MALFORMED = {
    "config is a number": {"class_name": "Sequential", "config": 5},
    "config is a list": {"class_name": "Sequential", "config": [1, 2]},
    "config is null": {"class_name": "Sequential", "config": None},
    "layers is a string": seq(layers="abc"),
    "layers is a dict": {"class_name": "Sequential", "config": {"layers": {"a": 1}}},
    "layers is null": {"class_name": "Sequential", "config": {"layers": None}},
    "a layer is a number": seq(IN, 7),
    "a layer is a list": seq(IN, [1, 2]),
    "a layer without class_name": seq(IN, {"config": {"units": 4}}),
    "a layer with a numeric class_name": seq(IN, {"class_name": 5, "config": {}}),
    "a layer config that is a list": seq(IN, {"class_name": "Dense", "config": [4]}),
    "a layer config that is null": seq(IN, {"class_name": "Dense", "config": None}),
    "a layer without config": seq(IN, {"class_name": "Dense"}),
    "units is a string of code": seq(IN, {"class_name": "Dense",
                                          "config": {"units": "__import__('os')"}}),
    "units is a dict": seq(IN, {"class_name": "Dense", "config": {"units": {"a": 1}}}),
    "units is true": seq(IN, {"class_name": "Dense", "config": {"units": True}}),
    "batch_shape is a string": seq({"class_name": "InputLayer", "config": {"batch_shape": "8"}},
                                   DENSE),
    "batch_shape is a number": seq({"class_name": "InputLayer", "config": {"batch_shape": 8}},
                                   DENSE),
    "batch_shape nested": seq({"class_name": "InputLayer",
                               "config": {"batch_shape": [None, [8]]}}, DENSE),
    "functional config is a number": {"class_name": "Functional", "config": 3},
    "functional without layers": {"class_name": "Functional", "config": {}},
    "functional input_layers is a number": fun([IN], 5, [["x", 0, 0]]),
    "functional output_layers names nothing": fun([IN], [["x", 0, 0]], [["nope", 0, 0]]),
    "functional inbound_nodes is a number": fun(
        [IN, {"class_name": "Dense", "name": "d", "config": {"units": 4, "name": "d"},
              "inbound_nodes": 5}], [["x", 0, 0]], [["d", 0, 0]]),
    "functional inbound_nodes malformed": fun(
        [IN, {"class_name": "Dense", "name": "d", "config": {"units": 4, "name": "d"},
              "inbound_nodes": [{"args": [{"config": 3}]}]}], [["x", 0, 0]], [["d", 0, 0]]),
    "functional inbound args is a string": fun(
        [IN, {"class_name": "Dense", "name": "d", "config": {"units": 4, "name": "d"},
              "inbound_nodes": [{"args": "x", "kwargs": {}}]}], [["x", 0, 0]], [["d", 0, 0]]),
    "functional layer names are numbers": fun(
        [{"class_name": "InputLayer", "name": 1, "config": {"batch_shape": [None, 8]}}],
        [[1, 0, 0]], [[1, 0, 0]]),
    "nested model config is a number": seq(IN, {"class_name": "Sequential", "config": 5}),
    "class_name is a list": {"class_name": ["Sequential"], "config": {}},
}
