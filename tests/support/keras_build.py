"""Build the Keras model of a neutral spec from ``tests/crosscheck`` (layers keep its names)."""

from __future__ import annotations


def build_keras(keras, spec):
    """A ``keras.Sequential`` or functional model running ``spec``."""
    made = {}
    for _, layer, cls, args, _ in spec["calls"]:
        if cls is not None:
            made[layer] = getattr(keras.layers, cls)(**args, name=layer)
    x = keras.Input(spec["input"])
    if spec.get("sequential"):
        return keras.Sequential([x, *(made[c[1]] for c in spec["calls"])])
    tensors = {"t0": x}
    for out, layer, _, _, inputs in spec["calls"]:
        ins = [tensors[t] for t in inputs]
        tensors[out] = made[layer](ins[0] if len(ins) == 1 else ins)
    outs = [tensors[t] for t in spec["outputs"]]
    return keras.Model(x, outs[0] if len(outs) == 1 else outs)
