"""One generator per exercise topic: ``generator(rng, notation) -> (question, answer, lines,
model, numerical)``. Answers are read from the model (shapes, ``params``, ``macs``,
``receptive_field``, ``solve_budget``); the lines of the worked solution come from the
layers' derivations and the unevaluated working nodes of :mod:`symcnn.working`.

``notation`` is a preset of :mod:`symcnn.render.notation`: the derivations are written in
it, and so are the symbols the prose, the other formulas and the question name, each as
the layer's derivation shows it (:func:`~symcnn.render.notation.shown_names`). The
preset changes names only: the same ``rng`` gives the same models and answers in every
notation (the ``scaling`` topic names its model's own sizes as the preset names a layer's
input and filters, ``(H_1, W_1, D_1)`` and ``K`` in cs231n).

>>> import random
>>> question, answer, lines, model, numerical = GENERATORS["padding_for_same"](random.Random(0))
>>> model.layers[0].output_shape[:2] == model.input_shape[:2]
True
>>> print(GENERATORS["padding_for_same"](random.Random(0), "cs231n")[2][2][0])
so P = 12. Check with the layer's own formula:
"""

from __future__ import annotations

import functools
import random

import sympy

from ..errors import SymcnnError
from ..layers.base import format_shape
from ..layers import (AveragePooling2D, BatchNormalization, Conv2D, Conv2DTranspose, Dense,
                      DepthwiseConv2D, Flatten, Input, MaxPooling2D, SeparableConv2D)
from ..model import Sequential
from ..render.notation import NOTATIONS, notate, rename_table, shown_names
from ..render.summary import format_count
from ..solving import solve_budget
from ..symbols import symbols
from ..working import Given, Minus, Plus, Times

__all__ = ["GENERATORS", "TOPICS", "plain", "describe", "names_in"]

#: Topics and what they ask (the keys of :data:`GENERATORS`).
TOPICS = {
    "output_size": "the output shape of one convolution or pooling layer",
    "params": "the parameter count of a layer or a small model",
    "macs": "the multiply-accumulates of one layer",
    "receptive_field": "the receptive field of a stack of layers",
    "padding_for_same": "the padding that keeps the size",
    "budget": "the widest width n within a parameter budget",
    "scaling": "by what factor the MACs grow when sizes double",
}


def plain(value) -> str:
    """Text of a solution part: shapes as tuples, integers grouped, the rest as SymPy."""
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return format_shape(value)
    value = sympy.sympify(value)
    if value.is_Integer:
        return format_count(value)
    return sympy.sstr(value)


def _pair(values) -> str:
    a, b = (int(v) for v in values)
    return str(a) if a == b else f"({a}, {b})"


def describe(layer) -> str:
    """The layer as a Keras call with its non-default arguments, e.g.
    ``Conv2D(16, 3, strides=2, padding='same')``."""
    c = layer.get_config()
    args = []
    if "filters" in c:
        args.append(str(c["filters"]))
    if "units" in c:
        args.append(str(c["units"]))
    for key in ("kernel_size", "pool_size"):
        if key in c:
            args.append(_pair(c[key]))
    # the default stride: 1 for a convolution, the pool size for a pooling layer (Keras')
    default = tuple(c["pool_size"]) if "pool_size" in c else (1,) * len(c.get("strides", ()))
    if "strides" in c and tuple(c["strides"]) != default:
        args.append(f"strides={_pair(c['strides'])}")
    padding = c.get("padding", "valid")
    if padding != "valid":
        args.append(f"padding='{padding}'" if isinstance(padding, str)
                    else f"padding={int(padding[0][0])}")
    if any(d != 1 for d in c.get("dilation_rate", (1,))):
        args.append(f"dilation_rate={_pair(c['dilation_rate'])}")
    if c.get("groups", 1) != 1:
        args.append(f"groups={c['groups']}")
    if c.get("depth_multiplier", 1) != 1:
        args.append(f"depth_multiplier={c['depth_multiplier']}")
    if c.get("use_bias") is False:
        args.append("use_bias=False")
    return f"{layer.type_name}({', '.join(args)})"


def names_in(derivation, notation: str, *names: str) -> tuple:
    """The names ``derivation`` shows in ``notation`` for symcnn's ``names`` (``"K_h"`` is
    cs231n's ``F``), as its formulas show them (primes and per-axis splits included); a
    name it does not show is named by the preset's table (:func:`rename_table`).

    >>> import symcnn as sc
    >>> d = sc.Sequential([sc.Input((9, 9, 3)), sc.Conv2D(4, 3)]).layers[0].derivation
    >>> names_in(d, "cs231n", "H_in", "K_h", "F", "D_h")
    ('H_1', 'F', 'K', "D'")
    """
    shown = dict(shown_names(derivation, notation))
    table = rename_table(notation)
    return tuple(shown.get(n, table.get(n, n)) for n in names)


def _sym(name: str) -> sympy.Symbol:
    return sympy.Symbol(name)


def _padding_words(layer) -> str:
    padding = getattr(layer, "padding", "valid")
    if isinstance(padding, str):
        return ""
    return f" (padding={int(padding[0][0])} means {int(padding[0][0])} zeros on each side)"


def _shape(rng: random.Random, low=7, high=64) -> tuple:
    h = rng.randint(low, high)
    w = h if rng.random() < 0.5 else rng.randint(low, high)
    return (h, w, rng.choice([1, 3, 3, 8, 16, 32]))


def _try(build, rng, attempts: int = 200):
    for _ in range(attempts):
        try:
            result = build(rng)
        except SymcnnError:
            continue
        if result is not None:
            return result
    raise SymcnnError("exercises: no admissible exercise found; this is a bug")


# --------------------------------------------------------------------------- output size


def _window_layer(rng: random.Random):
    if rng.random() < 0.7:
        k = rng.choice([1, 2, 3, 3, 3, 4, 5, 5, 7])
        kernel = k if rng.random() < 0.8 else (k, rng.choice([1, 2, 3, 5]))
        padding = rng.choice(["valid", "valid", "same", 1, 2])
        smallest = min(kernel) if isinstance(kernel, tuple) else kernel
        if isinstance(padding, int) and 2 * padding >= smallest:
            padding = "valid"
        strides = rng.choice([1, 1, 2, 3])
        dilation = rng.choice([1, 1, 1, 2]) if strides == 1 else 1  # Keras: not both > 1
        return Conv2D(rng.choice([4, 8, 16, 32, 64]), kernel, strides=strides,
                      padding=padding, dilation_rate=dilation)
    cls = rng.choice([MaxPooling2D, AveragePooling2D])
    pool = rng.choice([2, 2, 3])
    return cls(pool, strides=rng.choice([None, 1, 2]), padding=rng.choice(["valid", "same"]))


def _total_padding_line(derivation, notation: str, layer) -> list:
    """In a preset whose padding is both sides' (d2l's ``p_h``), a line saying so for a
    layer padded by a number per side: the working shows twice that number."""
    padding = getattr(layer, "padding", "valid")
    if not NOTATIONS[notation][1] or isinstance(padding, str) or not int(padding[0][0]):
        return []
    ph, pw = names_in(derivation, notation, "P_h", "P_w")
    return [(f"Here {ph} and {pw} count the zeros of both sides together: "
             f"2*{int(padding[0][0])} = {2 * int(padding[0][0])}.",)]


def output_size(rng: random.Random, notation: str = "keras"):
    def build(rng):
        model = Sequential([Input(_shape(rng)), _window_layer(rng)])
        record = model.layers[0]
        if any(int(v) < 1 for v in record.output_shape):
            return None
        layer = record.layer
        question = (f"An input of shape {format_shape(model.input_shape)} (height, width, "
                    f"channels) goes through {describe(layer)}{_padding_words(layer)}. What is "
                    f"the output shape?")
        out = record.output_shape
        derivation = notate(record.derivation, notation)
        lines = [("Each output size follows from the layer's formula:", derivation),
                 *_total_padding_line(record.derivation, notation, layer),
                 (f"So the output shape is {format_shape(out)}.",)]
        numerical = [("output height", out[0]), ("output width", out[1])]
        return question, tuple(out), lines, model, numerical
    return _try(build, rng)


# --------------------------------------------------------------------------- parameters


def _param_layer(rng: random.Random, channels: int):
    kind = rng.choice(["conv", "conv", "conv", "grouped", "depthwise", "separable",
                       "transpose", "bn"])
    k, f = rng.choice([1, 3, 3, 5, 7]), rng.choice([8, 16, 32, 64, 96, 128])
    bias = rng.random() < 0.75
    if kind == "grouped" and channels % 2 == 0:
        g = rng.choice([g for g in (2, 4, 8) if channels % g == 0 and f % g == 0] or [1])
        return Conv2D(f, k, groups=g, use_bias=bias)
    if kind == "depthwise":
        return DepthwiseConv2D(k, depth_multiplier=rng.choice([1, 1, 2]), use_bias=bias)
    if kind == "separable":
        return SeparableConv2D(f, k, use_bias=bias)
    if kind == "transpose":
        return Conv2DTranspose(f, k, strides=rng.choice([1, 2]), use_bias=bias)
    if kind == "bn":
        return BatchNormalization()
    return Conv2D(f, k, use_bias=bias)


def params(rng: random.Random, notation: str = "keras"):
    def build(rng):
        shape = _shape(rng, 8, 40)
        if rng.random() < 0.7:
            layers = [_param_layer(rng, shape[2])]
            ask = f"How many parameters (trainable and non-trainable) does " \
                  f"{describe(layers[0])} have on an input of shape {format_shape(shape)}?"
        else:
            layers = [Conv2D(rng.choice([4, 8, 16]), rng.choice([3, 5])), MaxPooling2D(2),
                      Flatten(), Dense(rng.choice([10, 16, 32, 100]),
                                       use_bias=rng.random() < 0.8)]
            ask = (f"How many parameters (trainable and non-trainable) does the model "
                   f"Input({format_shape(shape)}) -> "
                   + " -> ".join(describe(x) for x in layers) + " have in total?")
        model = Sequential([Input(shape), *layers])
        lines = [("Count every layer with weights (Keras' 'Param #', trainable and "
                  "non-trainable):",)]
        for record in model.layers:
            if record.params != 0:
                lines.append((f"{record.name} ({record.type}):",
                              notate(record.derivation, notation)["params"]))
                if record.non_trainable_params != 0:
                    lines.append((f"of which {record.non_trainable_params} are non-trainable "
                                  f"(moving mean and variance).",))
        if len([r for r in model.layers if r.params != 0]) > 1:
            lines.append(("Total:", ("params", Plus(*(Given(r.params) for r in model.layers
                                                      if r.params != 0)), model.params)))
        return ask, model.params, lines, model, [("parameters", model.params)]
    return _try(build, rng)


# --------------------------------------------------------------------------- MACs


def macs(rng: random.Random, notation: str = "keras"):
    def build(rng):
        shape = _shape(rng, 8, 56)
        k, f = rng.choice([1, 3, 3, 5]), rng.choice([8, 16, 32, 64])
        layer = rng.choice([Conv2D(f, k, strides=rng.choice([1, 2]), padding="same"),
                            Conv2D(f, k), DepthwiseConv2D(k, padding="same")])
        model = Sequential([Input(shape), layer])
        record = model.layers[0]
        h, w, c_out = (int(v) for v in record.output_shape)
        c_in = int(shape[2])
        kk = Times(Given(k), Given(k))
        if layer.type_name == "DepthwiseConv2D":
            factors = ("H_out", "W_out", "C_in", "K_h", "K_w")
            working = Times(Given(h), Given(w), Given(c_in), kk)
        else:
            factors = ("H_out", "W_out", "F", "C_in", "K_h", "K_w")
            working = Times(Given(h), Given(w), Given(c_out), Given(c_in), kk)
        formula = Times(*map(_sym, names_in(record.derivation, notation, *factors)))
        value = model.macs
        if sympy.expand(working.doit()) != value:
            raise SymcnnError("exercises: MAC working disagrees with model.macs")
        lines = [("First the output size:", notate(record.derivation, notation)),
                 ("Each output element takes one multiply-accumulate per kernel weight it "
                  "sees (biases and activations are not counted):",
                  ("MACs", formula, working, value))]
        question = (f"How many multiply-accumulate operations (MACs) does {describe(layer)} "
                    f"take on an input of shape {format_shape(shape)}?")
        return question, value, lines, model, [("MACs", value)]
    return _try(build, rng)


# --------------------------------------------------------------------------- receptive field


def receptive_field(rng: random.Random, notation: str = "keras"):
    def build(rng):
        layers = []
        for _ in range(rng.randint(2, 4)):
            if rng.random() < 0.7:
                strides = rng.choice([1, 1, 2])
                layers.append(Conv2D(8, rng.choice([1, 3, 3, 5, 7]), strides=strides,
                                     padding="same",
                                     dilation_rate=rng.choice([1, 1, 1, 2]) if strides == 1
                                     else 1))
            else:
                layers.append(MaxPooling2D(rng.choice([2, 3]), strides=2, padding="same"))
        model = Sequential([Input((128, 128, 3)), *layers])
        r, j = sympy.Integer(1), sympy.Integer(1)
        # the height's kernel, dilation and stride as the layers' derivations name them (a
        # 'same' layer's formula shows no kernel: the preset's name); a dilation if any
        K, D, S = map(_sym, names_in(model.layers[0].derivation, notation,
                                     "K_h", "D_h", "S_h"))
        dilated = any(getattr(x, "dilation_rate", (1,))[0] != 1 for x in layers)
        before, jump = _sym("r_{i-1}"), _sym("j_{i-1}")
        spread = Times(D, Plus(K, Minus(1))) if dilated else Plus(K, Minus(1))
        arguments = f"kernel {K}, dilation {D} and stride {S}" if dilated else \
            f"kernel {K} and stride {S}"
        lines = [(f"Start from one input pixel: the field r_0 = 1 and the jump j_0 = 1. "
                  f"Each layer, with {arguments} along the height, grows the field and "
                  f"multiplies the jump:", ("r_i", Plus(before, Times(spread, jump)))),
                 ("", ("j_i", Times(jump, S)))]
        for i, record in enumerate(model.layers, 1):
            layer = record.layer
            k = (layer.kernel_size if hasattr(layer, "kernel_size") else layer.pool_size)[0]
            d = layer.dilation_rate[0] if hasattr(layer, "dilation_rate") else 1
            s = layer.strides[0]
            grow = Times(Given(d), Plus(Given(k), Minus(1))) if d != 1 else Plus(Given(k),
                                                                                 Minus(1))
            r_new = sympy.expand(r + d * (k - 1) * j)
            field = record.receptive_field[0].size
            if r_new != field:
                raise SymcnnError("exercises: receptive field working disagrees")
            lines.append((f"{record.name} ({describe(layer)}):",
                          (f"r_{i}", Plus(Given(r), Times(grow, Given(j))), r_new)))
            j = sympy.expand(j * s)
            lines.append(("", (f"j_{i}", Times(Given(j / s), Given(s)), j)))
            r = r_new
        question = ("What is the receptive field (in input pixels along the height) of one "
                    "unit of the last layer of Input((128, 128, 3)) -> "
                    + " -> ".join(describe(x) for x in layers) + "?")
        return question, r, lines, model, [("receptive field", r)]
    return _try(build, rng)


# --------------------------------------------------------------------------- padding


def padding_for_same(rng: random.Random, notation: str = "keras"):
    k, d = rng.choice([3, 5, 7, 9, 11]), rng.choice([1, 1, 2, 3])
    shape = _shape(rng, 16, 64)
    p = sympy.Symbol("P")
    H = sympy.Symbol("H_in")
    condition = sympy.Eq(H + 2 * p - d * (k - 1) - 1 + 1, H)
    (answer,) = sympy.solve(condition, p)
    model = Sequential([Input(shape), Conv2D(16, k, padding=int(answer), dilation_rate=d)])
    question = (f"A Conv2D layer with a {k}x{k} kernel, dilation rate {d} and stride 1 is "
                f"applied to an input of shape {format_shape(shape)}. How many zeros must be "
                f"padded on each side so that the output keeps the height and width?")
    original = model.layers[0].derivation
    derivation = notate(original, notation)
    out, size, ph, pw, K, D = names_in(original, notation, "H_out", "H_in", "P_h", "P_w",
                                       "K_h", "D_h")
    total = NOTATIONS[notation][1]  # the padding of both sides together (d2l's p_h)
    pad = _sym(ph) if total else Times(2, _sym(ph))
    if d == 1:  # the layer's formula has no dilation: nor has the working
        spread, worked = Plus(_sym(K), Minus(1)), Plus(Given(k), Minus(1))
    else:
        spread = Times(_sym(D), Plus(_sym(K), Minus(1)))
        worked = Times(Given(d), Plus(Given(k), Minus(1)))
    padded = 2 * answer
    if total:
        so = f"so {ph} = {pw} = {padded}, {answer} on each side."
    else:
        so = f"so {ph} = {pw} = {answer}." if ph != pw else f"so {ph} = {answer}."
    lines = [("With stride 1 the output size is",
              (out, Plus(_sym(size), pad, Minus(spread)))),
             ("It equals the input size when", (pad, spread, worked, padded)),
             (f"{so} Check with the layer's own formula:", derivation)]
    return question, answer, lines, model, [("padding on each side", answer)]


# --------------------------------------------------------------------------- budget


def budget(rng: random.Random, notation: str = "keras"):
    def build(rng):
        n = symbols("n")
        shape = (rng.choice([16, 24, 28, 32]), rng.choice([16, 24, 28, 32]),
                 rng.choice([1, 3]))
        k = rng.choice([3, 5])
        layers = [Conv2D(n, k), MaxPooling2D(2), Conv2D(n, 3, use_bias=rng.random() < 0.5),
                  MaxPooling2D(2), Flatten(), Dense(rng.choice([10, 20, 100]))]
        model = Sequential([Input(shape), *layers])
        count = model.params
        low = int(count.subs(n, 4))
        limit = int(round(rng.uniform(1.5, 40) * low, -3))
        best = solve_budget(count, limit, n)
        if not isinstance(best, (int, sympy.Integer)) or best < 1:
            return None
        best = int(best)
        lines = [("Add up the layers' counts (each a derivation in n):",)]
        for record in model.layers:
            if record.params != 0:
                lines.append((f"{record.name} ({record.type}):",
                              notate(record.derivation, notation)["params"]))
        lines += [("Total:", ("params", count)),
                  (f"The count grows with n; n = {best} fits (at most {limit:,}):",
                   (f"params(n = {best})", count.subs(n, best))),
                  (f"and n = {best + 1} does not (more than {limit:,}):",
                   (f"params(n = {best + 1})", count.subs(n, best + 1)))]
        question = (f"The model Input({format_shape(shape)}) -> "
                    + " -> ".join(describe(x) for x in layers)
                    + f" has a width n. What is the largest n for which it has at most "
                    f"{limit:,} parameters?")
        return question, sympy.Integer(best), lines, model, [("n", best)]
    return _try(build, rng)


# --------------------------------------------------------------------------- scaling


def _scaling_model(kind: str, k: int, sizes: tuple):
    H, W, C, F = sizes
    if kind == "dense":
        return Sequential([Input((C,)), Dense(F)])
    if kind == "depthwise":
        return Sequential([Input((H, W, C)), DepthwiseConv2D(k, padding="same")])
    return Sequential([Input((H, W, C)), Conv2D(F, k, padding="same",
                                                groups=2 if kind == "grouped" else 1)])


def _scaling_sizes(kind: str, k: int, notation: str) -> tuple:
    """The model's own sizes ``(H, W, C, F)``: symcnn's letters in its own notation, else
    the names the preset gives the layer's input height, width and channels and its
    filters or units (cs231n's ``H_1``, ``W_1``, ``D_1``, ``K``; a Dense's ``N_1``, ``U``)."""
    letters = symbols("H W C F")
    if notation == "keras":
        return letters
    derivation = _scaling_model(kind, k, letters).layers[0].derivation
    wanted = ("N_in", "U") if kind == "dense" else ("H_in", "W_in", "C_in", "F")
    named = dict(zip(wanted, names_in(derivation, notation, *wanted)))
    order = {"dense": (None, None, "N_in", "U")}.get(kind, ("H_in", "W_in", "C_in", "F"))
    return tuple(letter if key not in named else symbols(named[key])
                 for letter, key in zip(letters, order))


_SCALING_KINDS = ("conv", "conv", "dense", "depthwise", "grouped")
_SCALING_KERNELS = (1, 3, 5)
_SCALING_CHANGES = ("channels", "channels", "output", "spatial")


def scaling(rng: random.Random, notation: str = "keras"):
    kind = rng.choice(_SCALING_KINDS)
    k = rng.choice(_SCALING_KERNELS)
    change = rng.choice(_SCALING_CHANGES)
    return _scaling(kind, k, change, notation)


def _scaling(kind: str, k: int, change: str, notation: str):
    if kind == "dense":
        change = "output" if change == "spatial" else change
    elif kind == "depthwise":
        change = "spatial" if change == "output" else change
    H, W, C, F = _scaling_sizes(kind, k, notation)
    model = _scaling_model(kind, k, (H, W, C, F))
    doubled = {"channels": {C: 2 * C, F: 2 * F}, "output": {F: 2 * F},
               "spatial": {H: 2 * H, W: 2 * W}}[change]
    words = {("channels", "dense"): f"the input size {C} and the units {F} both double",
             ("channels", "depthwise"): f"the channels {C} double (a depthwise convolution "
                                        f"has as many output channels as input channels)",
             ("output", "dense"): f"the units {F} double"}.get((change, kind)) or {
        "channels": f"the input channels {C} and the output channels {F} both double",
        "output": f"the output channels {F} double",
        "spatial": f"the input height {H} and width {W} both double"}[change]
    before = model.macs
    after = sympy.expand(before.xreplace(doubled))
    factor = sympy.simplify(after / before)
    layer = model.layers[0].layer
    question = (f"{describe(layer)} is applied to an input of shape "
                f"{format_shape(model.input_shape)}. By what factor do its MACs grow if "
                f"{words}?")
    lines = [("The MACs as a closed form:", ("MACs", before)),
             ("After the change:", ("MACs'", after)),
             ("The factor:", ("MACs'/MACs", factor))]
    return question, factor, lines, model, [("factor", factor)] if factor.is_number else []


@functools.lru_cache(maxsize=None)
def _scaling_count(notation: str) -> int:
    """How many different ``scaling`` questions there are in ``notation``: every choice
    the generator can draw, built once (a Dense has no kernel, a depthwise layer no
    separate output channels, so several choices ask the same question)."""
    return len({_scaling(kind, k, change, notation)[0]
                for kind in set(_SCALING_KINDS) for k in _SCALING_KERNELS
                for change in set(_SCALING_CHANGES)})


#: For a topic with few different exercises, how many there are (by notation): ``generate``
#: refuses a larger ``n`` before drawing any. Every other topic has thousands.
COUNTS = {"scaling": _scaling_count}

GENERATORS = {
    "output_size": output_size, "params": params, "macs": macs,
    "receptive_field": receptive_field, "padding_for_same": padding_for_same,
    "budget": budget, "scaling": scaling,
}
