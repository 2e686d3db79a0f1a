"""Property: plant one classic mistake in a random model's correct table; ``check`` names it.

The wrong numbers are computed here with plain integer arithmetic from the textbook
formulas (not with symcnn's variants), so the test checks the diagnosis independently.
"""

from __future__ import annotations

import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import symcnn as sc


@st.composite
def models(draw):
    h, w = draw(st.integers(8, 40)), draw(st.integers(8, 40))
    channels = draw(st.sampled_from([1, 2, 3, 4, 6, 8]))
    layers = []
    for _ in range(draw(st.integers(1, 3))):
        k = draw(st.integers(1, 5))
        s = draw(st.integers(1, 3))
        padding = draw(st.sampled_from(["valid", "same", 1, 2]))
        groups = draw(st.sampled_from([1, 1, 2])) if channels % 2 == 0 else 1
        filters = draw(st.sampled_from([2, 4, 6, 8, 16]))
        if isinstance(padding, int) and 2 * padding >= k:
            padding = "valid"
        layers.append(sc.Conv2D(filters, k, strides=s, padding=padding, groups=groups,
                                use_bias=draw(st.booleans())))
        channels = filters
        extra = draw(st.sampled_from(["none", "pool", "bn"]))
        if extra == "pool":
            layers.append(sc.MaxPooling2D(2))
        elif extra == "bn":
            layers.append(sc.BatchNormalization())
    layers += [sc.Flatten(), sc.Dense(draw(st.integers(2, 12)), use_bias=draw(st.booleans()))]
    try:
        return sc.Sequential([sc.Input((h, w, draw(st.sampled_from([1, 2, 4])) * 2)), *layers])
    except sc.SymcnnError:
        assume(False)


def _sizes(layer, shape):
    """(i, k, s, total explicit padding per axis) for a convolution's two spatial axes."""
    out = []
    for axis in range(2):
        p = layer.padding if isinstance(layer.padding, str) else layer.padding[axis][0]
        out.append((int(shape[axis]), int(layer.kernel_size[axis]), int(layer.strides[axis]), p))
    return out


def mistakes(record, model) -> dict:
    """{code: (field, planted value)} for the classic slips that apply to this row."""
    layer, shape, out = record.layer, record.input_shape, record.output_shape
    params = int(record.params)
    found = {}
    kind = record.type
    if kind in ("Conv2D", "Dense"):
        units = int(layer.filters if kind == "Conv2D" else layer.units)
        found["missing_bias" if layer.use_bias else "extra_bias"] = (
            "params", params - units if layer.use_bias else params + units)
    if kind == "BatchNormalization":
        found["bn_trainable_only"] = ("params", params // 2)
    if kind == "Conv2D":
        f, g, c = int(layer.filters), int(layer.groups), int(shape[-1])
        k = int(layer.kernel_size[0])
        bias = f if layer.use_bias else 0
        if k > 1 and g == 1:
            found["kernel_not_squared"] = ("params", c * k * f + bias)
        if g > 1:
            found["groups_ignored"] = ("params", c * k * k * f + bias)
        if (f, out[0], out[1]) != tuple(out):
            found["channels_swapped"] = ("output_shape", (f, out[0], out[1]))
        axes = _sizes(layer, shape)
        if layer.padding == "same":
            valid = [(i - k) // s + 1 for i, k, s, _ in axes]
            if min(valid) >= 1:
                found["same_as_valid"] = ("output_shape", (*valid, f))
        elif layer.padding == "valid":
            if any((i - k) % s for i, k, s, _ in axes):
                found["no_floor"] = ("output_shape", tuple(
                    f"{(i - k) / s + 1:.2f}" if (i - k) % s else str((i - k) // s + 1)
                    for i, k, s, _ in axes) + (f,))
                found["ceil_vs_floor"] = ("output_shape", tuple(
                    math.ceil((i - k) / s) + 1 for i, k, s, _ in axes) + (f,))
        else:
            once = [(i + p - k) // s + 1 for i, k, s, p in axes]
            found["padding_total_vs_per_side"] = ("output_shape", (*once, f))
    if kind == "Flatten":
        before = model.layers[record.index - 1]
        if before.type == "MaxPooling2D":
            found["before_pooling"] = ("output_shape", (math.prod(before.input_shape),))
    return found


@settings(max_examples=60)
@given(models(), st.data())
def test_check_names_a_planted_classic_mistake(model, data):
    rows = [{"layer": r.name, "output_shape": r.output_shape, "params": r.params}
            for r in model.layers]
    options = [(r, code, slip) for r in model.layers for code, slip in
               mistakes(r, model).items()]
    assume(options)
    code = data.draw(st.sampled_from(sorted({c for _, c, _ in options})))  # slips uniformly
    record, code, (field, value) = data.draw(st.sampled_from([o for o in options
                                                              if o[1] == code]))
    correct = record.params if field == "params" else record.output_shape
    assume(str(value) != str(correct) and value != correct)
    rows[record.index] = {**rows[record.index], field: value}
    report = sc.check(model, rows)
    row = report.rows[record.index]
    mark = next(m for m in row.marks if m.field == field)
    assert not mark.ok
    assert code in (mark.diagnosis, *mark.also), (code, mark)
    assert all(r.ok for r in report.rows if r is not row)
