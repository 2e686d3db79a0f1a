"""Build neutral specs in Keras and as symcnn code, compare, and explain a disagreement.

symcnn models are built by executing generated source code (:func:`symcnn_code`), so the
code printed in a failure report is exactly the code that was tested: paste it into a test.
"""

from __future__ import annotations

import math
import pprint

import sympy

import symcnn as sc

# ------------------------------------------------------------------------ symcnn side


def _kwargs(args):
    return ", ".join(f"{k}={v!r}" for k, v in args.items())


def symcnn_code(spec, input_shape=None, translate=None):
    """Source that builds ``spec`` in symcnn: one variable per tensor, and ``model``.

    ``translate(cls, args) -> (sc_class_name, sc_kwargs)`` maps a call to a symcnn layer
    (the identity for Keras specs). ``input_shape`` overrides the spec's, e.g. with symbol
    names for the symbolic check.
    """
    translate = translate or (lambda cls, args: (cls, dict(args)))
    shape = tuple(input_shape or spec["input"])
    lines = ["import symcnn as sc"]
    made = {}
    for out, layer, cls, args, inputs in spec["calls"]:
        if cls is not None:
            name, kwargs = translate(cls, args)
            made[layer] = f"sc.{name}({_kwargs({**kwargs, 'name': layer})})"
    if spec.get("sequential"):
        lines.append("model = sc.Sequential([")
        lines.append(f"    sc.Input({shape!r}),")
        lines += [f"    {made[layer]}," for _, layer, _, _, _ in spec["calls"]]
        lines.append("])")
        return "\n".join(lines)
    lines.append(f"t0 = sc.Input({shape!r})")
    created = set()
    for out, layer, cls, args, inputs in spec["calls"]:
        if layer not in created and _calls_of(spec, layer) > 1:
            lines.append(f"{layer} = {made[layer]}")
        created.add(layer)
        target = layer if _calls_of(spec, layer) > 1 else made[layer]
        ins = inputs[0] if len(inputs) == 1 else f"[{', '.join(inputs)}]"
        lines.append(f"{out} = {target}({ins})")
    outs = spec["outputs"]
    outputs = outs[0] if len(outs) == 1 else f"[{', '.join(outs)}]"
    lines.append(f"model = sc.Model(t0, {outputs})")
    return "\n".join(lines)


def _calls_of(spec, layer):
    return sum(1 for c in spec["calls"] if c[1] == layer)


def run_symcnn(spec, input_shape=None, translate=None):
    """Execute :func:`symcnn_code`; ``(model, {tensor: shape}, {layer: record})``."""
    namespace = {}
    exec(symcnn_code(spec, input_shape, translate), namespace)  # noqa: S102 - generated code
    model = namespace["model"]
    records = {r.name: r for r in model.layers}
    if spec.get("sequential"):
        shapes = {out: records[layer].output_shape for out, layer, *_ in spec["calls"]}
    else:
        shapes = {out: namespace[out].shape for out, *_ in spec["calls"]}
    return model, shapes, records


# ------------------------------------------------------------------------- Keras side


def _numel(weights):
    return sum(math.prod(int(d) for d in w.shape) for w in weights)


def keras_facts(spec):
    """Build ``spec`` in Keras and run it once: shapes and counts, keyed like symcnn's."""
    import keras
    import numpy as np

    made = {}
    for out, layer, cls, args, inputs in spec["calls"]:
        if cls is not None:
            made[layer] = getattr(keras.layers, cls)(**args, name=layer)
    inputs0 = keras.Input(spec["input"])
    if spec.get("sequential"):
        model = keras.Sequential([inputs0, *(made[c[1]] for c in spec["calls"])])
        tensors = {out: made[layer].output for out, layer, *_ in spec["calls"]}
        tensors.setdefault("t0", inputs0)
    else:
        tensors = {"t0": inputs0}
        for out, layer, cls, args, inputs in spec["calls"]:
            ins = [tensors[t] for t in inputs]
            tensors[out] = made[layer](ins[0] if len(ins) == 1 else ins)
        outs = [tensors[t] for t in spec["outputs"]]
        model = keras.Model(inputs0, outs[0] if len(outs) == 1 else outs)
    names = [out for out, *_ in spec["calls"]]
    probe = keras.Model(model.inputs, [tensors[n] for n in names])
    try:
        real = probe([np.zeros((1, *spec["input"]), dtype="float32")])
    except RuntimeError as err:
        if not torch_backend_avg_pool3d_refusal(err, spec, made, tensors):
            raise
        # documented in docs/crosschecks.md: Keras' semantics are its declared shapes
        real = [tensors[n] for n in names]
    real = real if isinstance(real, (list, tuple)) else [real]
    return {
        "declared": {n: tuple(tensors[n].shape[1:]) for n in names},
        "forward": {n: tuple(int(d) for d in r.shape[1:]) for n, r in zip(names, real)},
        "layers": {name: (l.count_params(), _numel(l.trainable_weights),
                          _numel(l.non_trainable_weights)) for name, l in made.items()},
        "totals": (model.count_params(), _numel(model.trainable_weights),
                   _numel(model.non_trainable_weights)),
    }


def torch_backend_avg_pool3d_refusal(err, spec, made, tensors) -> bool:
    """Whether ``err`` is Keras' torch backend refusing a 3D 'same' average pool whose window
    is larger than its unpadded input on some axis.

    Keras' semantics (its declared shape, and the TensorFlow and JAX backends) give
    ``ceil(size / stride)`` there; the torch backend passes symmetric padding to
    ``torch.nn.functional.avg_pool3d``, which checks the kernel against the unpadded input
    (``avg_pool1d``/``2d`` and ``max_pool3d`` do not). symcnn follows Keras' semantics; see
    docs/crosschecks.md, "Known backend differences".
    """
    import keras

    if keras.backend.backend() != "torch" or "smaller than kernel size" not in str(err):
        return False
    for out, layer, cls, args, inputs in spec["calls"]:
        obj = made[layer]
        if type(obj).__name__ != "AveragePooling3D" or obj.padding != "same":
            continue
        shape = tuple(tensors[inputs[0]].shape[1:]) if inputs else None
        if shape is None:
            continue
        spatial = shape[1:] if obj.data_format == "channels_first" else shape[:-1]
        if any(i < k for i, k in zip(spatial, obj.pool_size)):
            return True
    return False


def refusal(who, build):
    """``(result, None)``, or ``(None, [message])`` when ``build()`` raises: a refusal is a
    disagreement too, reported with the model like any other."""
    try:
        return build(), None
    except Exception as err:  # noqa: BLE001 - any refusal is reported with the spec
        message = " ".join(str(err).split())
        return None, [f"{who} refused the model: {type(err).__name__}: {message[:600]}"]


def keras_disagreements(spec):
    """Every difference between Keras and symcnn on ``spec`` (empty when they agree)."""
    facts, errors = refusal("Keras", lambda: keras_facts(spec))
    if errors:
        return errors
    built, errors = refusal("symcnn", lambda: run_symcnn(spec))
    if errors:
        return errors
    model, shapes, records = built
    errors = []
    for out, layer, cls, _, _ in spec["calls"]:
        what = f"{out} = {layer}({cls or 'shared'})"
        declared, real, ours = facts["declared"][out], facts["forward"][out], shapes[out]
        if declared != real:
            errors.append(f"{what}: Keras declares {declared} but its forward pass gives {real}")
        if tuple(ours) != real:
            errors.append(f"{what}: output shape symcnn {ours}, Keras {real}")
    for layer, counts in facts["layers"].items():
        r = records[layer]
        ours = (r.params, r.trainable_params, r.non_trainable_params)
        if ours != counts:
            errors.append(f"{layer}: (total, trainable, non-trainable) symcnn {ours}, "
                          f"Keras {counts}")
    ours = (model.params, model.trainable_params, model.non_trainable_params)
    if ours != facts["totals"]:
        errors.append(f"model totals: symcnn {ours}, Keras {facts['totals']}")
    return errors


# --------------------------------------------------------------------- symbolic check


def symbolic_disagreements(spec, translate=None):
    """Build with every input size a symbol, substitute the spec's sizes, compare.

    Every tensor's shape, every layer's counts and the totals must equal the numeric build,
    and every recorded constraint must hold at the spec's sizes.
    """
    names = [f"I{k}" for k in range(len(spec["input"]))]
    values = {sc.symbols(n): v for n, v in zip(names, spec["input"])}
    numeric, num_shapes, num_records = run_symcnn(spec, None, translate)
    built, errors = refusal("the symbolic build", lambda: run_symcnn(spec, tuple(names), translate))
    if errors:
        return errors
    errors = _differences_at(values, (numeric, num_shapes, num_records), built)
    symbolic = built[0]
    # and through the public route: model.subs rebuilds (and re-checks) layer by layer
    substituted = symbolic.subs({n: v for n, v in zip(names, spec["input"])})
    for name, r in num_records.items():
        got = substituted.get_layer(name)
        if (got.output_shape, got.params) != (r.output_shape, r.params):
            errors.append(f"{name}: model.subs gives {got.output_shape} and {got.params} params, "
                          f"numeric {r.output_shape} and {r.params}")
    return errors


#: Layer arguments that are sizes, and so may be symbols (DESIGN: int, str or SymPy expression).
SIZE_ARGS = ("filters", "units", "kernel_size", "strides", "dilation_rate", "pool_size",
             "depth_multiplier", "size", "output_size", "cropping", "padding")


def symbolize(spec, translate=None):
    """The spec translated to symcnn layers with every size argument a fresh symbol name.

    Returns ``(symbolic_spec, values)``; ``values`` maps each symbol to the spec's number.
    A bare int ``padding`` stays a number (a string there would name a padding mode).
    """
    translate = translate or (lambda cls, args: (cls, dict(args)))
    values = {}

    def sym(value, base):
        if isinstance(value, (tuple, list)):
            return type(value)(sym(v, base) for v in value)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            name = f"{base}_{len(values)}"
            values[sc.symbols(name)] = value
            return name
        return value

    calls = []
    for out, layer, cls, args, inputs in spec["calls"]:
        if cls is not None:
            cls, args = translate(cls, args)
            args = {k: sym(v, f"{layer}_{k}") if k in SIZE_ARGS and (
                k != "padding" or isinstance(v, (tuple, list))) else v for k, v in args.items()}
        calls.append((out, layer, cls, args, inputs))
    return {**spec, "calls": calls}, values


def broadcasts(spec, shapes):
    """Whether an element-wise merge of ``spec`` broadcasts a size that is 1 at these sizes.

    Symbolically such a size (``H - 2``, ``2 - k``) is not 1, so symcnn records equality
    instead; those models are left out of the symbolic comparisons.
    """
    shapes = {"t0": tuple(spec["input"]), **{k: tuple(v) for k, v in shapes.items()}}
    return any(len(inputs) > 1 and cls not in ("Concatenate", "cat") and
               len({shapes[t] for t in inputs}) > 1
               for _, _, cls, _, inputs in spec["calls"])


def symbolic_argument_disagreements(spec, translate=None):
    """Build with every layer's size arguments symbols, substitute, compare with the numbers.

    Shapes of every tensor, counts of every layer, and the constraints must agree, as in
    :func:`symbolic_disagreements`.
    """
    numeric, num_shapes, num_records = run_symcnn(spec, None, translate)
    symbolic_spec, values = symbolize(spec, translate)
    built, errors = refusal("the symbolic build", lambda: run_symcnn(symbolic_spec))
    if errors:
        return errors
    return _differences_at(values, (numeric, num_shapes, num_records), built)


def _differences_at(values, numeric_build, symbolic_build):
    """How a symbolic build, at ``values``, differs from the numeric build: every tensor's
    shape, every layer's trainable and non-trainable counts, the total, and each constraint
    (all of which must hold, since the numeric model is valid)."""
    numeric, num_shapes, num_records = numeric_build
    symbolic, sym_shapes, sym_records = symbolic_build

    def at(expr):
        return sympy.sympify(expr).xreplace(values)

    errors = []
    for out, shape in num_shapes.items():
        got = tuple(at(d) for d in sym_shapes[out])
        if got != tuple(shape):
            errors.append(f"{out}: symbolic shape {sym_shapes[out]} gives {got}, numeric {shape}")
    for name, r in num_records.items():
        s = sym_records[name]
        for attr in ("trainable_params", "non_trainable_params"):
            if at(getattr(s, attr)) != getattr(r, attr):
                errors.append(f"{name}.{attr}: symbolic {getattr(s, attr)} gives "
                              f"{at(getattr(s, attr))}, numeric {getattr(r, attr)}")
    if at(symbolic.params) != numeric.params:
        errors.append(f"params: symbolic {symbolic.params}, numeric {numeric.params}")
    for c in symbolic.constraints:
        if at(c) is not sympy.true:
            errors.append(f"constraint {c} is {at(c)} at {values} although the model is valid")
    return errors


# ---------------------------------------------------------------------------- reports


def report(title, spec, errors, translate=None, framework_code=None, recheck=None):
    """A failure message with everything needed to reproduce the case in a test."""
    parts = [title, *(f"  - {e}" for e in errors), "",
             "spec = " + pprint.pformat(spec, width=96, sort_dicts=False)]
    if recheck:
        parts.append(f"assert not {recheck}(spec)  # in tests/crosscheck/test_regressions.py")
    parts += ["", "# symcnn code", symcnn_code(spec, translate=translate)]
    if framework_code:
        parts += ["", framework_code]
    return "\n".join(parts)
