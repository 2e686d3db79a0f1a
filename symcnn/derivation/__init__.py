"""Worked derivations: the formula, the working and the value for every layer.

A textbook writes, beside each layer, ``(32 + 2*1 - 3)/1 + 1 = 32`` and
``3*3*3*64 + 64 = 1792``. :func:`derive` gives that for one :class:`~symcnn.LayerRecord`
(also ``record.derivation``): one :class:`Step` per output size that a formula decides and
one for the parameter count, each holding

1. the general formula in the layer's hyperparameters (``floor((H_in + 2*P_h - K_h)/S_h) + 1``,
   ``C_in*K_h*K_w*F + F``),
2. the same formula with this layer's values put in and left unevaluated (``working``),
3. the value the model computed (a number or a closed form).

The formula is specialised to the layer's configuration (``same`` padding gives
``ceiling(H_in/S_h)``, a dilation of 1 drops the ``D(K - 1) + 1`` extent to ``K``, no bias
drops ``+ F``); the working is always that formula with the values put in, so evaluating the
working (``step.working.doit()``) gives the value. Printers render derivations through
SymPy's hooks: ``sympy.latex(d)``, ``str(d)``, or ``model.to_latex(style="derivation")``.

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(64, 3, padding="same")])
>>> d = m.layers[0].derivation
>>> print(d)
conv2d (Conv2D): input (32, 32, 3), output (32, 32, 64)
  H_out = ceiling(H_in/S_h) = ceiling(32/1) = 32
  W_out = ceiling(W_in/S_w) = ceiling(32/1) = 32
  C_out = F = 64
  params = C_in*K_h*K_w*F + F = 3*3*3*64 + 64 = 1,792
  note: With padding='same' the output is ceiling(input/stride), as Keras computes it.
>>> d["params"].working.doit()
1792
"""

from __future__ import annotations

import re

import sympy

from ..assume import AssumeDivisible
from .blocks import Builder
from .steps import Derivation, Step

__all__ = ["Step", "Derivation", "derive"]


# --------------------------------------------------------------------------- derive


def derive(record, assume_divisible=None) -> Derivation:
    """The :class:`Derivation` of a layer record (its first call), optionally under
    ``assume_divisible`` (a mapping such as ``{"H": 32, "W": 32}`` or an
    :class:`~symcnn.assume.AssumeDivisible`), which rewrites every value exactly under that
    assumption and records in ``assumed`` the assumptions that changed something.

    >>> import symcnn as sc
    >>> H, W = sc.symbols("H W")
    >>> m = sc.Sequential([sc.Input((H, W, 3)), sc.MaxPooling2D(2), sc.MaxPooling2D(2)])
    >>> print(derive(m.layers[1])["H_out"])
    H_out = floor((H_in + 2*P_h - K_h)/S_h) + 1 = floor((floor(H/2) + 2*0 - 2)/2) + 1 = floor(H/4)
    >>> d = derive(m.layers[1], assume_divisible={H: 4})
    >>> print(d["H_out"]), d.assumed
    H_out = floor((H_in + 2*P_h - K_h)/S_h) + 1 = floor((H/2 + 2*0 - 2)/2) + 1 = H/4
    (None, (((H,), 4),))
    """
    layer = record.layer
    ins = [tuple(s) for s in record.input_shapes]
    outs = record.output_shape
    out = tuple(outs[0] if isinstance(outs, list) else outs)  # the steps derive the first
    # ... but every output is listed: an LSTM with return_state=True has three
    out_shape = [tuple(s) for s in outs] if isinstance(outs, list) else out
    b = Builder()
    params_formula, params_bind = layer.derivation_for(b, ins, out)
    if isinstance(params_formula, sympy.Integer) and params_formula == 0 and record.params != 0:
        params_formula = None
    b.add("params", params_formula, params_bind, record.params)
    if not layer.trainable and record.params != 0:
        b.add("non_trainable", params_formula, params_bind, record.non_trainable_params)
        b.note("With trainable=False every parameter is non-trainable.")
    else:
        frozen = layer.frozen_formula(ins[0]) if len(ins) == 1 and \
            b.non_trainable is None else None
        if frozen is not None:  # a kernel frozen under LoRA
            b.non_trainable = frozen
            kernel = "embedding table" if record.type == "Embedding" else "kernel"
            bias = ", and the bias" if getattr(layer, "use_bias", False) else ""
            b.note(f"With lora_rank=r the {kernel} is frozen (non-trainable); the two "
                   f"factors, r*(fan-in + outputs) weights{bias}, train.")
        if b.non_trainable is not None:
            b.add("non_trainable", *b.non_trainable, record.non_trainable_params)
    in_shape = ins[0] if len(ins) == 1 else ins
    steps, notes = _apart_from_model_symbols(record, tuple(b.steps), tuple(b.notes))
    derivation = Derivation(record.name, record.type, in_shape, out_shape, steps, notes)
    if assume_divisible:
        derivation = _assume(derivation, assume_divisible)
    return derivation


def primed(name: str) -> str:
    """``name`` with a prime, before its subscript, as a page writes it: ``H'_in`` (not
    ``H_in'``, which prints as a subscript ``in'``), ``N''_1``, ``C'``. The one rule for a
    formula's symbol that would read as another (here, and in the notation presets).

    >>> primed("H_in"), primed("H'_in"), primed("C")
    ("H'_in", "H''_in", "C'")
    """
    head, sep, sub = name.partition("_")
    return f"{head}'{sep}{sub}"


def _apart_from_model_symbols(record, steps: tuple, notes: tuple) -> tuple:
    """``steps`` and ``notes`` with each formula letter that a symbol of the model spells
    but that stands for something else here primed: in a block on ``(H, W, C)`` whose
    BatchNormalization sees ``w`` channels, ``params = 4*C' = 4*w``, not ``4*C = 4*w``.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", "W", "C")), sc.Conv2D("w", 1), sc.BatchNormalization()])
    >>> print(m.layers[1].derivation["params"])
    params = 4*C' = 4*w
    """
    model = getattr(record, "model", None)
    letters = {letter.name for step in steps for letter, _ in step.bindings}
    if model is None or not letters:
        return steps, notes
    mine = model.symbols_by_name  # read-only, computed once per model
    if not any(name in mine for name in letters):  # a few letters against many symbols
        return steps, notes
    renamed: dict = {}
    for step in steps:
        for letter, value in step.bindings:
            name = letter.name
            if name in mine and value != mine[name] and letter not in renamed:
                new = primed(name)
                while new in mine:
                    new = primed(new)
                renamed[letter] = sympy.Symbol(new, **letter.assumptions0)
    if not renamed:
        return steps, notes
    steps = tuple(Step(s.key, s.formula.xreplace(renamed) if s.formula is not None else None,
                       tuple((renamed.get(k, k), v) for k, v in s.bindings), s.value)
                  for s in steps)
    words = {str(k): str(v) for k, v in renamed.items()}
    pattern = re.compile(r"(?<![A-Za-z_'])(" + "|".join(map(re.escape, words)) + r")(?![\w'])")
    return steps, tuple(pattern.sub(lambda m: words[m.group(1)], n) for n in notes)


def _assume(d: Derivation, assume_divisible) -> Derivation:
    assume = assume_divisible if isinstance(assume_divisible, AssumeDivisible) else \
        AssumeDivisible(assume_divisible, owner="derive")
    used: set = set()

    def rewrite(value):
        new, changed = assume.apply(value)
        used.update(changed)
        return new

    def shape(s):
        return [shape(x) for x in s] if isinstance(s, list) else tuple(rewrite(v) for v in s)

    steps = tuple(Step(s.key, s.formula, tuple((k, rewrite(v)) for k, v in s.bindings),
                       rewrite(s.value)) for s in d.steps)
    return Derivation(d.name, d.type, shape(d.input_shape), shape(d.output_shape), steps,
                      d.notes, tuple(assume.groups(used)) if used else ())
