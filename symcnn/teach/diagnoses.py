"""The catalogue of diagnoses, and the mistaken variants of a layer that detect them.

A wrong number in a student's table is diagnosed by recomputing the layer the way the
student may have done it: the same layer rebuilt with ``use_bias`` flipped, with ``valid``
instead of ``same`` padding, with ``groups=1``, on the feature map before a pooling layer,
and so on; or its worked derivation (:attr:`~symcnn.LayerRecord.derivation`) evaluated with
the floor left out or turned into a ceiling. A diagnosis is named only when one of these
recomputations gives exactly the student's number; otherwise the row is ``unexplained``.

>>> sorted(CATALOGUE)[:4]
['before_pooling', 'bn_trainable_only', 'carried', 'ceil_vs_floor']
>>> print(CATALOGUE["missing_bias"].title)
Bias left out
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterator

import sympy

from ..errors import SymcnnError
from ..layers import Conv1D, Conv2D, Conv3D, Input, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D
from ..model import Model
from ..working import Ceiling, Floor

__all__ = ["Diagnosis", "CATALOGUE", "Outcome", "probe", "variants", "UNEXPLAINED", "CARRIED",
           "UNREADABLE", "UNKNOWN_LAYER"]

UNEXPLAINED = "unexplained"
CARRIED = "carried"
UNREADABLE = "unreadable"
UNKNOWN_LAYER = "unknown_layer"


@dataclass(frozen=True)
class Diagnosis:
    """One entry of the catalogue: a code, a short title and an explanation for a student."""

    code: str
    title: str
    explanation: str


_ENTRIES = [
    ("missing_bias", "Bias left out",
     "Each filter (or unit) of this layer also has one bias, so the count is weights + "
     "filters: for a convolution C_in*K_h*K_w*F + F, for a dense layer N_in*U + U."),
    ("extra_bias", "Bias counted where there is none",
     "This layer is built with use_bias=False, so it has weights only: leave out the + F."),
    ("bn_trainable_only", "BatchNormalization counted as 2C",
     "BatchNormalization keeps 4 numbers per channel: gamma and beta are trained (2C), the "
     "moving mean and variance are not (2C more). symcnn's table counts all 4C, as Keras' "
     "'Param #' does. PyTorch counts only the trained 2C (BatchNorm2d's parameters(), and "
     "torchinfo's 'Param #'): its running mean and variance are buffers, not parameters, "
     "but symcnn counts them for a PyTorch layer too."),
    ("padding_total_vs_per_side", "Padding counted once instead of on both sides (or twice)",
     "P is the padding on each side, so the padded size is H + 2P. Adding P once, or adding "
     "twice an amount that was already the total, gives the wrong size."),
    ("no_floor", "Size not rounded to a whole number",
     "A size is a whole number of window positions. With 'valid' (or explicit) padding it "
     "rounds down, floor((H + 2P - K)/S) + 1: when the stride does not divide H + 2P - K "
     "exactly, the last partial step is dropped. With padding='same' (Keras) it rounds up, "
     "ceiling(H/S), and so does a PyTorch pooling layer with ceil_mode=True: the last "
     "partial window is kept."),
    ("ceil_vs_floor", "Rounded the wrong way",
     "With 'valid' (or explicit) padding the size rounds down: floor((H + 2P - K)/S) + 1. "
     "With padding='same' Keras rounds up: ceiling(H/S). This answer rounds the other way."),
    ("same_as_valid", "'same' and 'valid' padding mixed up",
     "padding='same' pads so that the size is ceiling(H/S) (H itself for stride 1); "
     "padding='valid' adds nothing, floor((H - K)/S) + 1. This answer uses the other one."),
    ("groups_ignored", "Groups ignored",
     "With G groups (AlexNet's two towers, depthwise convolutions) each filter sees only "
     "C_in/G input channels, so the weights are (C_in/G)*K_h*K_w*F, not C_in*K_h*K_w*F. "
     "A separable convolution is a depthwise one (C_in*K_h*K_w*M) followed by a 1x1 one "
     "(C_in*M*F), not one full convolution."),
    ("before_pooling", "Size taken before a pooling layer",
     "This number comes from the feature map before a pooling layer. The layer after the "
     "pooling sees the pooled map, which is smaller (AlexNet's first dense layer has "
     "6*6*256 inputs, not 13*13*256)."),
    ("channels_swapped", "Channels in the wrong place",
     "Channels go last in Keras shapes, (H, W, C) (first in PyTorch, (C, H, W)), and a "
     "layer has one bias per output channel (F), not per input channel."),
    ("kernel_not_squared", "Kernel counted as K instead of K*K",
     "A K x K kernel has K*K weights per input channel and filter: C_in*K*K*F."),
    (CARRIED, "Carried from an earlier row",
     "Wrong, but exactly what follows from your own earlier (wrong) value: the working of "
     "this row is right and gets the credit."),
    (UNREADABLE, "Not readable as a number",
     "The marker could not read this entry. Write a count as 7200, 7,200 or a working "
     "ending in its value (20*3*3*40 = 7200), a closed form with the model's own symbols "
     "(160*n), and a shape as (16, 12, 40) or 16x12x40."),
    (UNKNOWN_LAYER, "No layer of this name",
     "The model has no layer of this name (or position), so this row could not be marked: "
     "write the layer's name as the model's summary prints it (a name that differs only in "
     "case from exactly one layer's is read as that layer's)."),
    (UNEXPLAINED, "Not one of the known slips",
     "This number matches none of the usual slips; compare your working with the one "
     "shown, step by step."),
]

#: Every diagnosis ``check`` can name, by code.
CATALOGUE = {code: Diagnosis(code, title, text) for code, title, text in _ENTRIES}


@dataclass(frozen=True)
class Outcome:
    """What a (possibly mistaken) computation of a layer gives: shape, parameters, and how.

    ``working`` maps a field (``"output_shape"``, ``"params"``) to how its value follows;
    for a field it does not name, the worked derivation of ``record`` says it.
    """

    output_shape: tuple
    params: sympy.Expr
    working: dict
    record: object = None  # the layer record the outcome was read from, if any

    def working_for(self, field: str) -> str | None:
        """How this outcome's ``field`` is worked out (derivation steps as text)."""
        if field in self.working:
            return self.working[field]
        if self.record is None:
            return None
        d = self.record.derivation
        keys = ("params",) if field == "params" else tuple(s.key for s in d.shape_steps)
        return "; ".join(str(s) for s in d.steps if s.key in keys)


def probe(layers, input_shapes) -> Outcome | None:
    """The outcome of ``layers`` (one layer, or a chain) applied to ``input_shapes``; None
    when that does not build (the variant does not apply).

    >>> import symcnn as sc
    >>> probe(sc.Conv2D(6, 3, use_bias=False), [(64, 64, 3)]).params
    162
    """
    chain = layers if isinstance(layers, (list, tuple)) else [layers]
    if any(layer is None for layer in chain):
        return None
    try:
        inputs = [Input(tuple(s)) for s in input_shapes]
        x = inputs if len(inputs) > 1 else inputs[0]
        for layer in chain:
            x = layer(x)
        model = Model(inputs if len(inputs) > 1 else inputs[0], x)
    except (SymcnnError, TypeError, ValueError):
        return None
    return Outcome(model.layers[-1].output_shape, model.params, {}, model.layers[-1])


def _rebuilt(layer, **changes):
    try:
        return type(layer)(**{**layer.get_config(), **changes})
    except (SymcnnError, TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- variants


def _missing_bias(ctx):
    if getattr(ctx.layer, "use_bias", None) is True:
        yield probe(_rebuilt(ctx.layer, use_bias=False), ctx.inputs)


def _extra_bias(ctx):
    if getattr(ctx.layer, "use_bias", None) is False:
        yield probe(_rebuilt(ctx.layer, use_bias=True), ctx.inputs)


def _bn_trainable_only(ctx):
    record = ctx.correct.record if ctx.correct is not None else None
    if record is not None and record.non_trainable_params != 0 and record.trainable_params != 0:
        yield Outcome(record.output_shape, record.trainable_params,
                      {"params": f"trainable only: {record.trainable_params} "
                                 f"(+ {record.non_trainable_params} non-trainable left out)"})


def _numeric(values) -> bool:
    return all(sympy.sympify(v).is_Integer for v in values)


def _spatial(layer, shape) -> list:
    rank = getattr(layer, "rank", None)
    if rank is None or len(shape) != rank + 1:
        return []
    return list(range(1, rank + 1)) if layer.data_format == "channels_first" else list(range(rank))


def _pad_pairs(layer, shape) -> list | None:
    """Per spatial axis ``(before, after)`` padding of a window layer, numbers only."""
    padding = getattr(layer, "padding", None)
    kernel = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
    positions = _spatial(layer, shape)
    if padding is None or not positions:
        return None
    if not isinstance(padding, str):
        pairs = [tuple(p) for p in padding]
        return pairs if _numeric([v for p in pairs for v in p]) else None
    if padding != "same" or kernel is None:
        return None
    dilation = getattr(layer, "dilation_rate", (1,) * len(positions))
    pairs = []
    for axis, pos in enumerate(positions):
        i, k, s, d = shape[pos], kernel[axis], layer.strides[axis], dilation[axis]
        if not _numeric([i, k, s, d]):
            return None
        total = max((sympy.ceiling(sympy.Rational(i, s)) - 1) * s + d * (k - 1) + 1 - i, 0)
        pairs.append((total // 2, total - total // 2))
    return pairs


_ZERO_PADDING = {1: ZeroPadding1D, 2: ZeroPadding2D, 3: ZeroPadding3D}


def _with_padding(layer, shape, pairs):
    """``layer`` with explicit ``pairs``, or a ZeroPadding + 'valid' chain where the layer
    refuses explicit amounts (Keras-style pooling)."""
    if "cropping" in layer.get_config() or type(layer) in _ZERO_PADDING.values():
        return _rebuilt(layer, padding=tuple(pairs))
    direct = _rebuilt(layer, padding=tuple(pairs))
    if direct is not None:
        return direct
    pad_cls = _ZERO_PADDING.get(getattr(layer, "rank", 0))
    valid = _rebuilt(layer, padding="valid")
    if pad_cls is None or valid is None:
        return None
    return [pad_cls(tuple(pairs), data_format=layer.data_format), valid]


def _padding_total_vs_per_side(ctx):
    pairs = _pad_pairs(ctx.layer, ctx.inputs[0]) if len(ctx.inputs) == 1 else None
    if not pairs or all(a == 0 and b == 0 for a, b in pairs):
        return
    once = [(0, a) if a == b else (0, max(a, b)) for a, b in pairs]   # P added once
    twice = [(a + b, a + b) for a, b in pairs]                         # total put on each side
    for new in (once, twice):
        yield probe(_with_padding(ctx.layer, ctx.inputs[0], new), ctx.inputs)


def _rewrite_rounding(ctx, swap: Callable) -> Iterator[Outcome]:
    record = ctx.correct.record if ctx.correct is not None else None
    positions = _spatial(ctx.layer, ctx.inputs[0]) if record is not None else []
    if not positions:
        return
    steps = [s for s in record.derivation.shape_steps if s.key != "C_out"]
    if len(steps) != len(positions):
        return
    shape = list(record.output_shape)
    texts = []
    for step, pos in zip(steps, positions):
        working = step.working
        if not working.has(Floor, Ceiling):
            continue
        changed = working.replace(lambda e: isinstance(e, (Floor, Ceiling)), swap)
        value = sympy.nsimplify(changed.doit())
        if value == step.value:
            continue
        shape[pos] = value
        shown = sympy.sstr(changed)
        texts.append(f"{step.key} = {shown}" + ("" if shown == str(value) else f" = {value}"))
    if texts:
        yield Outcome(tuple(shape), record.params, {"output_shape": "; ".join(texts)})


def _no_floor(ctx):
    yield from _rewrite_rounding(ctx, lambda e: e.args[0])


def _ceil_vs_floor(ctx):
    yield from _rewrite_rounding(
        ctx, lambda e: Ceiling(e.args[0]) if isinstance(e, Floor) else Floor(e.args[0]))


def _same_as_valid(ctx):
    padding = getattr(ctx.layer, "padding", None)
    if padding in ("same", "valid"):
        yield probe(_rebuilt(ctx.layer, padding="valid" if padding == "same" else "same"),
                    ctx.inputs)


def _groups_ignored(ctx):
    layer = ctx.layer
    if sympy.sympify(getattr(layer, "groups", 1)) != 1:
        yield probe(_rebuilt(layer, groups=1), ctx.inputs)
    multiplier = getattr(layer, "depth_multiplier", None)
    cls = {1: Conv1D, 2: Conv2D, 3: Conv3D}.get(getattr(layer, "rank", None))
    if multiplier is None or cls is None:
        return
    if hasattr(layer, "filters"):  # separable counted as one full convolution
        filters = layer.filters
    else:  # depthwise: G = C_in
        positions = _spatial(layer, ctx.inputs[0])
        filters = ctx.inputs[0][0 if positions and positions[0] == 1 else -1] * multiplier
    full = _make(cls, filters, layer.kernel_size, strides=layer.strides,
                 padding=layer.padding, data_format=layer.data_format,
                 dilation_rate=layer.dilation_rate, use_bias=layer.use_bias)
    yield probe(full, ctx.inputs)


def _make(cls, *args, **kwargs):
    try:
        return cls(*args, **kwargs)
    except (SymcnnError, TypeError, ValueError):
        return None


def _before_pooling(ctx):
    yield from ctx.without_pooling()


def _channels_swapped(ctx):
    """The layer with the other data format; or with F and C_in swapped, which explains a
    parameter count only (one bias per input channel): an output shape that kept the input's
    channels is no such swap, and its working would name C_in as F."""
    layer, (shape, *rest) = ctx.layer, ctx.inputs
    if rest:
        return
    if getattr(layer, "data_format", None) in ("channels_last", "channels_first") and \
            len(shape) >= 2:
        flipped = "channels_first" if layer.data_format == "channels_last" else "channels_last"
        moved = (shape[-1], *shape[:-1]) if flipped == "channels_first" else (*shape[1:], shape[0])
        yield probe(_rebuilt(layer, data_format=flipped), [moved])
    for key in ("filters", "units"):
        out = getattr(layer, key, None)
        if out is None:
            continue
        axis = 0 if getattr(layer, "data_format", None) == "channels_first" else -1
        c_in = shape[axis]
        swapped_in = list(shape)
        swapped_in[axis] = out
        outcome = probe(_rebuilt(layer, **{key: c_in}), [tuple(swapped_in)])
        if outcome is not None and ctx.correct is not None:
            yield replace(outcome, output_shape=ctx.correct.output_shape)


def _kernel_not_squared(ctx):
    """A count with one kernel side left out; it explains a parameter count only (the
    smaller kernel's output size is a slip of another kind)."""
    kernel = getattr(ctx.layer, "kernel_size", None)
    if kernel is None or len(kernel) < 2 or ctx.correct is None:
        return
    for axis in range(len(kernel)):
        if kernel[axis] != 1:
            smaller = tuple(1 if a == axis else k for a, k in enumerate(kernel))
            outcome = probe(_rebuilt(ctx.layer, kernel_size=smaller), ctx.inputs)
            if outcome is not None:
                yield replace(outcome, output_shape=ctx.correct.output_shape)


#: The variant generators in catalogue order: ``(code, generator(ctx) -> Outcomes)``.
VARIANTS = [
    ("missing_bias", _missing_bias), ("extra_bias", _extra_bias),
    ("bn_trainable_only", _bn_trainable_only),
    ("padding_total_vs_per_side", _padding_total_vs_per_side),
    ("no_floor", _no_floor), ("ceil_vs_floor", _ceil_vs_floor),
    ("same_as_valid", _same_as_valid), ("groups_ignored", _groups_ignored),
    ("before_pooling", _before_pooling), ("channels_swapped", _channels_swapped),
    ("kernel_not_squared", _kernel_not_squared),
]


def variants(ctx) -> Iterator[tuple]:
    """``(code, Outcome)`` for every mistaken recomputation of ``ctx.layer`` on
    ``ctx.inputs`` that builds, in catalogue order."""
    for code, generate in VARIANTS:
        for outcome in generate(ctx):
            if outcome is not None:
                yield code, outcome
