"""Random sequence models as neutral specs, built in symcnn, Keras 3 and torch.nn.

A spec has the format of ``keras_specs.py`` (``{"input", "ids", "calls", "outputs"}``, each
call ``(output, layer_name, class_name, kwargs, inputs)``); ``ids`` marks an input of token
ids (``(T,)``, for an ``Embedding``). The catalogue: Embedding, Dense, Conv1D, LayerNormalization,
Dropout, MultiHeadAttention (self- and cross-attention to an earlier tensor, with or without
a residual Add), SimpleRNN, LSTM, GRU (both forms), Bidirectional (every merge mode). A
Bidirectional call's kwargs hold ``layer`` as ``(class_name, kwargs)``.

Each side builds the spec on its own; the shapes tracked while drawing only keep the spec
valid. symcnn is built by executing generated code, so the code in a failure report is the
code that was tested.
"""

from __future__ import annotations

import math
import warnings

import sympy
from hypothesis import strategies as st

import symcnn as sc

RECURRENT = ("SimpleRNN", "LSTM", "GRU")
MERGE_MODES = ("concat", "sum", "mul", "ave")


# ------------------------------------------------------------------------------- drawing


@st.composite
def sequence_models(draw, torch_only: bool = False):
    """A random valid sequence model; with ``torch_only``, only what torch.nn has one for
    (self-attention with ``num_heads*key_dim`` equal to the width, GRU with
    ``reset_after``, Bidirectional concatenating)."""
    steps = draw(st.integers(1, 9))
    ids = draw(st.booleans())
    calls, shapes = [], {}

    def add(cls, args, inputs, shape):
        n = len(calls) + 1
        calls.append((f"t{n}", f"l{n}", cls, args, tuple(inputs)))
        shapes[f"t{n}"] = shape
        return f"t{n}"

    if ids:
        spec_input = (steps,)
        width = draw(st.integers(2, 8))
        x = add("Embedding", {"input_dim": draw(st.integers(2, 30)), "output_dim": width},
                ["t0"], (steps, width))
    else:
        spec_input = (steps, draw(st.integers(1, 8)))
        x = "t0"
        shapes["t0"] = spec_input
    for _ in range(draw(st.integers(1, 5))):
        length, width = shapes[x]
        kind = draw(st.sampled_from(["Dense", "Conv1D", "LayerNormalization", "Dropout",
                                     "attention", "attention", "recurrent", "recurrent"]))
        if kind == "Dense":
            units = draw(st.integers(1, 8))
            x = add("Dense", {"units": units, "use_bias": draw(st.booleans())}, [x],
                    (length, units))
        elif kind == "Conv1D":
            k = draw(st.integers(1, 4))
            padding = draw(st.sampled_from(["valid", "same"]))
            if padding == "valid" and k > length:
                continue
            filters = draw(st.integers(1, 8))
            out = length if padding == "same" else length - k + 1
            x = add("Conv1D", {"filters": filters, "kernel_size": k, "padding": padding}, [x],
                    (out, filters))
        elif kind == "LayerNormalization":
            x = add("LayerNormalization", {}, [x], (length, width))
        elif kind == "Dropout":
            x = add("Dropout", {"rate": 0.25}, [x], (length, width))
        elif kind == "attention":
            x = _attention(draw, add, shapes, x, torch_only)
        else:
            x = _recurrent(draw, add, x, length, width, torch_only, last=False)
    if draw(st.booleans()):  # end on a recurrent layer that returns its last state
        length, width = shapes[x]
        x = _recurrent(draw, add, x, length, width, torch_only, last=True)
    return {"input": spec_input, "ids": ids, "calls": calls, "outputs": (x,)}


def _attention(draw, add, shapes, x, torch_only):
    length, width = shapes[x]
    if torch_only:
        divisors = [h for h in range(1, width + 1) if width % h == 0 and h <= 4]
        heads = draw(st.sampled_from(divisors))
        args = {"num_heads": heads, "key_dim": width // heads}
        source = x
    else:
        args = {"num_heads": draw(st.integers(1, 3)), "key_dim": draw(st.integers(1, 5))}
        if draw(st.booleans()):
            args["value_dim"] = draw(st.integers(1, 5))
        earlier = [t for t, s in shapes.items() if len(s) == 2]
        source = draw(st.sampled_from(earlier))  # self-attention or cross-attention
        if draw(st.booleans()):
            args["output_shape"] = draw(st.integers(1, 8))
    out_width = args.get("output_shape", width)
    y = add("MultiHeadAttention", args, [x, source], (length, out_width))
    if out_width == width and draw(st.booleans()):  # residual
        y = add("Add", {}, [x, y], (length, width))
    return y


def _recurrent(draw, add, x, length, width, torch_only, last):
    cls = draw(st.sampled_from(RECURRENT))
    units = draw(st.integers(1, 6))
    args = {"units": units, "return_sequences": not last}
    if cls == "GRU" and not torch_only:
        args["reset_after"] = draw(st.booleans())
    if not torch_only and draw(st.booleans()):
        args["use_bias"] = False
    if draw(st.booleans()):
        mode = "concat" if torch_only else draw(st.sampled_from(MERGE_MODES))
        out = 2 * units if mode == "concat" else units
        shape = (length, out) if not last else (out,)
        return add("Bidirectional", {"layer": (cls, args), "merge_mode": mode}, [x], shape)
    return add(cls, args, [x], (length, units) if not last else (units,))


# -------------------------------------------------------------------------- symcnn side


def symcnn_code(spec, length=None) -> str:
    """Source that builds ``spec`` in symcnn (``length`` replaces the steps, e.g. ``"T"``)."""
    shape = tuple(spec["input"])
    if length is not None:
        shape = (length, *shape[1:])
    lines = ["import symcnn as sc", f"t0 = sc.Input({shape!r})"]
    for out, layer, cls, args, inputs in spec["calls"]:
        ins = f"[{', '.join(inputs)}]" if cls == "Add" else ", ".join(inputs)
        lines.append(f"{out} = {_make(cls, args, layer)}({ins})")
    lines.append(f"model = sc.Model(t0, {spec['outputs'][0]})")
    return "\n".join(lines)


def _make(cls, args, name=None):
    kwargs = dict(args)
    if cls == "Bidirectional":
        inner_cls, inner = kwargs.pop("layer")
        kwargs = {"layer": _make(inner_cls, inner), **kwargs}
        text = ", ".join(f"{k}={v}" if k == "layer" else f"{k}={v!r}" for k, v in kwargs.items())
    else:
        text = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    parts = [text] if text else []
    if name:
        parts.append(f"name={name!r}")
    return f"sc.{cls}({', '.join(parts)})"


def symbcnn_code_for_report(spec) -> str:
    """The symcnn code of ``spec``, for a failure report (paste it into a test)."""
    return "# symcnn code\n" + symcnn_code(spec)


def run_symcnn(spec, length=None):
    namespace: dict = {}
    exec(symcnn_code(spec, length), namespace)  # noqa: S102 - generated code
    return namespace


# --------------------------------------------------------------------------- Keras side


def _numel(weights):
    return sum(math.prod(int(d) for d in w.shape) for w in weights)


def keras_facts(spec):
    """Build and run ``spec`` in Keras: every tensor's shape, every layer's counts, totals."""
    import keras
    import numpy as np

    x = keras.Input(spec["input"], dtype="int32" if spec["ids"] else "float32")
    tensors, layers = {"t0": x}, {}
    for out, name, cls, args, inputs in spec["calls"]:
        kwargs = dict(args)
        if cls == "Bidirectional":
            inner_cls, inner = kwargs.pop("layer")
            kwargs["layer"] = getattr(keras.layers, inner_cls)(**inner)
        layer = getattr(keras.layers, cls)(**kwargs, name=name)
        ins = [tensors[t] for t in inputs]
        tensors[out] = layer(*ins) if cls == "MultiHeadAttention" else layer(
            ins if cls == "Add" else ins[0])
        layers[name] = layer
    names = [c[0] for c in spec["calls"]]
    model = keras.Model(x, tensors[spec["outputs"][0]])
    probe = keras.Model(x, [tensors[n] for n in names])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real = probe(np.ones((1, *spec["input"]), dtype="int32" if spec["ids"] else "float32"))
    real = real if isinstance(real, (list, tuple)) else [real]
    return {
        "forward": {n: tuple(int(d) for d in r.shape[1:]) for n, r in zip(names, real)},
        "layers": {n: (l.count_params(), _numel(l.trainable_weights),
                       _numel(l.non_trainable_weights)) for n, l in layers.items()},
        "totals": (model.count_params(), _numel(model.trainable_weights),
                   _numel(model.non_trainable_weights)),
    }


def keras_disagreements(spec):
    """Every difference between Keras and symcnn on ``spec`` (shapes, counts, totals)."""
    try:
        facts = keras_facts(spec)
    except Exception as err:  # noqa: BLE001 - a refusal is reported with the spec
        return [f"Keras refused the model: {type(err).__name__}: {err}"]
    try:
        ns = run_symcnn(spec)
    except sc.SymcnnError as err:
        return [f"symcnn refused the model: {type(err).__name__}: {err}"]
    model, errors = ns["model"], []
    for out, name, cls, _, _ in spec["calls"]:
        if ns[out].shape != facts["forward"][out]:
            errors.append(f"{out} = {name}({cls}): shape symcnn {ns[out].shape}, "
                          f"Keras {facts['forward'][out]}")
        r = model.get_layer(name)
        ours = (r.params, r.trainable_params, r.non_trainable_params)
        if ours != facts["layers"][name]:
            errors.append(f"{name} ({cls}): counts symcnn {ours}, Keras {facts['layers'][name]}")
    ours = (model.params, model.trainable_params, model.non_trainable_params)
    if ours != facts["totals"]:
        errors.append(f"totals: symcnn {ours}, Keras {facts['totals']}")
    return errors


def symbolic_disagreements(spec):
    """The build with the sequence length a symbol ``T``, at the spec's length, against the
    numeric build: every shape, every layer's counts, the totals and the MACs."""
    steps = spec["input"][0]
    numeric, symbolic = run_symcnn(spec), run_symcnn(spec, "T")
    T = sc.symbols("T")
    at = {T: steps}
    errors = []
    for out, name, *_ in spec["calls"]:
        got = tuple(sympy.sympify(d).xreplace(at) for d in symbolic[out].shape)
        if got != numeric[out].shape:
            errors.append(f"{out}: symbolic {symbolic[out].shape} gives {got}, "
                          f"numeric {numeric[out].shape}")
        s, n = symbolic["model"].get_layer(name), numeric["model"].get_layer(name)
        if s.params.xreplace(at) != n.params or s.macs.xreplace(at) != n.macs:
            errors.append(f"{name}: symbolic params {s.params}, MACs {s.macs} disagree with "
                          f"numeric {n.params}, {n.macs} at T={steps}")
    return errors


# --------------------------------------------------------------------------- torch side


def torch_module(spec):
    """``spec`` as a ``torch.nn.Module`` (batch first); only for ``torch_only`` specs."""
    import torch
    from torch import nn

    width = {"t0": spec["input"][-1] if not spec["ids"] else None}
    modules, plan = nn.ModuleDict(), []
    for out, name, cls, args, inputs in spec["calls"]:
        w = width[inputs[0]]
        if cls == "Embedding":
            modules[name] = nn.Embedding(args["input_dim"], args["output_dim"])
            width[out] = args["output_dim"]
        elif cls == "Dense":
            modules[name] = nn.Linear(w, args["units"], bias=args["use_bias"])
            width[out] = args["units"]
        elif cls == "Conv1D":
            modules[name] = nn.Conv1d(w, args["filters"], args["kernel_size"],
                                      padding=args["padding"])
            width[out] = args["filters"]
        elif cls == "LayerNormalization":
            modules[name] = nn.LayerNorm(w)
            width[out] = w
        elif cls == "Dropout":
            modules[name] = nn.Dropout(args["rate"])
            width[out] = w
        elif cls == "MultiHeadAttention":
            modules[name] = nn.MultiheadAttention(w, args["num_heads"], batch_first=True)
            width[out] = w
        elif cls == "Add":
            width[out] = w
        else:
            inner_cls, inner = (args["layer"] if cls == "Bidirectional" else (cls, args))
            torch_cls = {"SimpleRNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}[inner_cls]
            both = cls == "Bidirectional"
            modules[name] = torch_cls(w, inner["units"], batch_first=True, bidirectional=both,
                                      bias=inner.get("use_bias", True))
            width[out] = inner["units"] * (2 if both else 1)
        plan.append((out, name, cls, args, inputs))

    class Spec(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = modules

        def forward(self, x):
            t = {"t0": x}
            for out, name, cls, args, inputs in plan:
                a = t[inputs[0]]
                if cls == "Add":
                    t[out] = a + t[inputs[1]]
                elif cls == "Conv1D":
                    t[out] = self.layers[name](a.transpose(1, 2)).transpose(1, 2)
                elif cls == "MultiHeadAttention":
                    t[out] = self.layers[name](a, a, a, need_weights=False)[0]
                elif cls in ("Bidirectional",) + RECURRENT:
                    seq = self.layers[name](a)[0]
                    inner = args["layer"][1] if cls == "Bidirectional" else args
                    t[out] = seq if inner["return_sequences"] else seq[:, -1]
                else:
                    t[out] = self.layers[name](a)
            return [t[out] for out, *_ in plan]

    torch.manual_seed(0)
    return Spec()


def torch_disagreements(spec):
    """symcnn against torch.nn: shapes, MACs = FlopCounterMode / 2 (grad enabled, math
    attention, oneDNN off), and parameter counts, where PyTorch's recurrent layers have a
    second bias vector (``b_hh``) that Keras' SimpleRNN and LSTM do not."""
    import torch

    from ..support.flops import torch_macs

    module = torch_module(spec)
    x = torch.ones((1, *spec["input"]), dtype=torch.long if spec["ids"] else torch.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # even kernels with padding='same': a copy, no error
        outs = module(x)
    ns = run_symcnn(spec)
    model, errors = ns["model"], []
    for (out, name, cls, args, _), real in zip(spec["calls"], outs):
        if ns[out].shape != tuple(real.shape[1:]):
            errors.append(f"{out} = {name}({cls}): shape symcnn {ns[out].shape}, "
                          f"torch {tuple(real.shape[1:])}")
        ours = model.get_layer(name).trainable_params
        theirs = sum(p.numel() for p in module.layers[name].parameters()) \
            if name in module.layers else 0
        inner_cls, inner = args["layer"] if cls == "Bidirectional" else (cls, args)
        if inner_cls in ("SimpleRNN", "LSTM") and inner.get("use_bias", True):
            ours += (2 if cls == "Bidirectional" else 1) * (4 if inner_cls == "LSTM" else 1) \
                * inner["units"]
        if ours != theirs:
            errors.append(f"{name} ({cls}): parameters symcnn {ours} (with torch's b_hh), "
                          f"torch {theirs}")
    real_macs = torch_macs(module, x)
    if model.macs != real_macs:
        errors.append(f"MACs: symcnn {model.macs}, FlopCounterMode/2 {real_macs}")
    return errors


def export_disagreements(spec):
    """``model.to_keras()`` of the symcnn build: the same counts per layer, the same totals
    and output shape, and ``from_keras`` of it gives the model back."""
    model = run_symcnn(spec)["model"]
    try:
        exported = model.to_keras()
    except sc.SymcnnError as err:
        return [f"to_keras refused the model: {err}"]
    errors = []
    if exported.count_params() != model.params:
        errors.append(f"to_keras: {exported.count_params()} params, symcnn {model.params}")
    if tuple(exported.output_shape[1:]) != model.output_shape:
        errors.append(f"to_keras: output {exported.output_shape}, symcnn {model.output_shape}")
    for layer in exported.layers[1:]:
        if layer.count_params() != model.get_layer(layer.name).params:
            errors.append(f"to_keras: {layer.name} has {layer.count_params()} params, symcnn "
                          f"{model.get_layer(layer.name).params}")
    back = sc.from_keras(exported)
    if (back.params, back.output_shape) != (model.params, model.output_shape):
        errors.append(f"from_keras(to_keras(model)): {back.params} params, {back.output_shape}")
    return errors
