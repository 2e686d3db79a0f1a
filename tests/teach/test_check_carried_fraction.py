"""Carried credit after ``no_floor``: a student who forgets to round a size down and then
works the next layers correctly from the unrounded value earns ``carried`` for those rows.

No layer builds on a size of 10/3, so the later layers are recomputed from their own
formulas at the student's values; here the expected marks come from the same sizes worked
by hand with Python's exact fractions. A decimal the student writes (3.33) flows on both as
written and as the value it stands for (10/3).
"""

from __future__ import annotations

import math
from fractions import Fraction

import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import symcnn as sc


def _codes(row) -> set:
    """Every diagnosis that explains the row's wrong quantities."""
    return {c for m in row.marks if not m.ok for c in (m.diagnosis, *m.also)}


def _decimal(x: Fraction) -> str:
    """``x`` as a student writes it: a whole number as it is, else to two decimals."""
    if x.denominator == 1:
        return str(x)
    cents = int(round(x, 2) * 100)  # sizes are positive
    return f"{cents // 100}.{cents % 100:02d}"


def test_the_rows_worked_from_an_unfloored_size_are_carried():
    model = sc.Sequential([sc.Input((9, 9, 3)),
                           sc.Conv2D(2, (3, 2), strides=(1, 3), use_bias=False),
                           sc.Conv2D(4, 2, use_bias=False), sc.Flatten(), sc.Dense(5)])
    report = sc.check(model, [
        {"layer": 0, "output_shape": (7, "10/3", 2)},       # floor forgotten: 3
        {"layer": 1, "output_shape": (6, 2, 4)},            # floor((10/3 - 2)/1) + 1 = 2
        {"layer": 2, "output_shape": (48,)},
    ])
    assert [(r.ok, r.diagnosis) for r in report.rows] == [(False, "no_floor"), (True, None),
                                                          (True, None)]
    again = sc.check(model, [
        {"layer": 0, "output_shape": (7, "10/3", 2)},
        {"layer": 1, "output_shape": (6, "7/3", 4)},        # the floor forgotten again
        {"layer": 2, "output_shape": (56,)},                # 6*(7/3)*4, carried
        {"layer": 3, "params": 56 * 5 + 5},                 # carried on to the Dense
    ])
    assert [r.diagnosis for r in again.rows] == ["no_floor", "no_floor", "carried", "carried"]
    assert "W_out = (10/3 + 2*0 - 2)/1 + 1 = 7/3" in again.rows[1].marks[0].follows


def test_a_same_padded_layer_after_an_unfloored_size_carries_a_whole_number():
    # (28 - 3)/3 + 1 = 28/3 where the size is 9; 'same' padding with stride 3 rounds up,
    # ceiling((28/3)/3) = 4 where the size is ceiling(9/3) = 3: a whole number, yet carried
    model = sc.Sequential([sc.Input((28, 28, 1)), sc.Conv2D(3, 3, strides=3),
                           sc.Conv2D(2, 3, strides=3, padding="same"),
                           sc.MaxPooling2D(2, padding="same"), sc.Flatten(), sc.Dense(5)])
    h = Fraction(28 - 3, 3) + 1
    sizes = [h, Fraction(math.ceil(h / 3))]
    sizes.append(Fraction(math.ceil(sizes[-1] / 2)))
    flat = sizes[-1] ** 2 * 2
    report = sc.check(model, [
        {"layer": 0, "output_shape": (str(h), str(h), 3)},
        {"layer": 1, "output_shape": (str(sizes[1]), str(sizes[1]), 2)},
        {"layer": 2, "output_shape": (str(sizes[2]), str(sizes[2]), 2)},
        {"layer": 3, "output_shape": (str(flat),)},
        {"layer": 4, "params": str(flat * 5 + 5)},
    ])
    true = [r.output_shape[0] for r in model.layers[:3]]
    wanted = ["no_floor"] + [None if s == t else "carried" for s, t in zip(sizes[1:], true[1:])]
    wanted += [None if flat == model.layers[3].output_shape[0] else "carried"] * 2
    assert [r.diagnosis for r in report.rows] == wanted
    assert "carried" in wanted[1:]  # the chain does not merely return to the right sizes


def test_a_decimal_flows_on_as_written_and_as_the_fraction_it_stands_for():
    model = sc.Sequential([sc.Input((9, 9, 3)),
                           sc.Conv2D(2, (3, 2), strides=(1, 3), use_bias=False),
                           sc.Conv2D(4, 2, use_bias=False), sc.Flatten(), sc.Dense(5)])
    exact = [Fraction(9 - 2, 3) + 1]
    exact.append(exact[0] - 2 + 1)                          # the floor forgotten again
    written = [Fraction(_decimal(x)) for x in exact]        # 3.33, 2.33
    for second, flat in ((written[1], 6 * written[1] * 4),  # worked on with 3.33, 2.33
                         (exact[1], 6 * exact[1] * 4)):     # worked on with 10/3, 7/3
        report = sc.check(model, [
            {"layer": 0, "output_shape": (7, _decimal(exact[0]), 2)},
            {"layer": 1, "output_shape": (6, _decimal(second), 4)},
            {"layer": 2, "output_shape": (_decimal(flat),)},
            {"layer": 3, "params": _decimal(flat * 5 + 5)},
        ])
        assert [r.diagnosis for r in report.rows] == ["no_floor", "no_floor", "carried",
                                                      "carried"], (second, flat)
    assert _decimal(6 * written[1] * 4) != _decimal(6 * exact[1] * 4)  # two readings apart


def test_a_number_that_follows_from_neither_reading_is_unexplained():
    model = sc.Sequential([sc.Input((9, 9, 3)),
                           sc.Conv2D(2, (3, 2), strides=(1, 3), use_bias=False),
                           sc.Conv2D(4, 2, use_bias=False), sc.Flatten()])
    exact = Fraction(9 - 2, 3) + 1 - 2 + 1
    readings = {6 * Fraction(_decimal(exact)) * 4, 6 * exact * 4}
    off = max(readings) + Fraction(1, 2)
    assert all(abs(off - r) > Fraction(1, 100) for r in readings)
    report = sc.check(model, [
        {"layer": 0, "output_shape": (7, "3.33", 2)},
        {"layer": 1, "output_shape": (6, "2.33", 4)},
        {"layer": 2, "output_shape": (_decimal(off),)},
    ])
    assert [r.diagnosis for r in report.rows] == ["no_floor", "no_floor", "unexplained"]


def test_the_working_of_a_decimal_shows_it_as_the_student_wrote_it():
    model = sc.Sequential([sc.Input((9, 9, 3)),
                           sc.Conv2D(2, (3, 2), strides=(1, 3), use_bias=False),
                           sc.Conv2D(4, 2, use_bias=False), sc.Flatten()])
    report = sc.check(model, [
        {"layer": 0, "output_shape": (7, "3.33", 2)},
        {"layer": 1, "output_shape": (6, "2.33", 4)},
        {"layer": 2, "output_shape": ("55.92",)},           # 6*2.33*4
    ])
    follows = [r.marks[0].follows for r in report.rows[1:]]
    assert "(3.33 + 2*0 - 2)/1 + 1 = 2.33" in follows[0]
    assert follows[1].endswith("6*2.33*4 = 55.92")
    assert not any("/100" in f or "/25" in f for f in follows)


def test_layers_that_keep_or_move_an_unfloored_size():
    conv = dict(filters=2, kernel_size=(3, 2), strides=(1, 3), use_bias=False)
    kept = sc.Sequential([sc.Input((9, 9, 3)), sc.Conv2D(**conv), sc.BatchNormalization()])
    report = sc.check(kept, [{"layer": 0, "output_shape": (7, "10/3", 2)},
                             {"layer": 1, "output_shape": (7, "10/3", 2),
                              "params": kept.layers[1].params}])
    assert [r.diagnoses for r in report.rows] == [{"output_shape": "no_floor"},
                                                  {"output_shape": "carried"}]
    # Permute's derivation states no formula for the sizes it moves: the shape left as it
    # was is not credited (the layer would have moved 10/3 to the front)
    moved = sc.Sequential([sc.Input((9, 9, 3)), sc.Conv2D(**conv), sc.Permute((2, 1, 3))])
    report = sc.check(moved, [{"layer": 0, "output_shape": (7, "10/3", 2)},
                              {"layer": 1, "output_shape": (7, "10/3", 2)}])
    assert report.rows[1].diagnosis == "unexplained"


def test_a_channels_first_model_carries_an_unfloored_size_by_its_own_axes():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 2, (3, 2), stride=(1, 3), bias=False),
                              torch.nn.Conv2d(2, 4, 2, bias=False), torch.nn.Flatten())
    model = sc.from_torch(net, input_shape=(3, 9, 9))
    sizes = net[1](net[0](torch.zeros(1, 3, 9, 9))).shape[1:]  # (4, 6, 2), as PyTorch has it
    w = Fraction(9 - 2, 3) + 1 - 2 + 1                       # 7/3: no floor, twice
    report = sc.check(model, [{"layer": 0, "output_shape": (2, 7, str(Fraction(9 - 2, 3) + 1))},
                              {"layer": 1, "output_shape": (4, 6, str(w))},
                              {"layer": 2, "output_shape": (str(sizes[0] * sizes[1] * w),)}])
    assert [r.diagnosis for r in report.rows] == ["no_floor", "no_floor", "carried"]
    assert report.rows[2].marks[0].follows.startswith("N_out = C_in*H_in*W_in = 4*6*7/3")


# --------------------------------------------------------------------------- planted slips

#: How the student writes a size that is not whole, and which value works on from it.
WRITINGS = ("fraction", "decimal as written", "decimal standing for the fraction")


def _out(layer, h: Fraction, rounded: bool = True) -> Fraction:
    """The size a window layer (Keras' rule) gives for ``h``, rounded or not."""
    kind, k, s, padding, _ = layer
    if padding == "same":
        x = h / s
        return Fraction(math.ceil(x)) if rounded else x
    x = (h - k) / s
    return Fraction(math.floor(x) + 1) if rounded else x + 1


@st.composite
def chains(draw):
    size = draw(st.integers(12, 40))
    layers = [(draw(st.sampled_from(["conv", "max", "avg"])), draw(st.integers(2, 3)),
               draw(st.integers(1, 3)), draw(st.sampled_from(["valid", "same"])),
               draw(st.integers(1, 3)))
              for _ in range(draw(st.integers(2, 4)))]
    return size, layers, draw(st.integers(1, 4))


def _model(size, layers, units):
    made = [sc.Input((size, size, 1))]
    for kind, k, s, padding, filters in layers:
        if kind == "conv":
            made.append(sc.Conv2D(filters, k, strides=s, padding=padding))
        else:
            pool = sc.MaxPooling2D if kind == "max" else sc.AveragePooling2D
            made.append(pool(k, strides=s, padding=padding))
    return sc.Sequential(made + [sc.Flatten(), sc.Dense(units)])


@settings(max_examples=60, deadline=None)
@given(chains(), st.sampled_from(WRITINGS), st.booleans(), st.data())
def test_a_planted_no_floor_slip_is_named_and_every_later_row_follows_from_it(
        case, writing, forgets_again, data):
    size, layers, units = case
    channels = [1]
    for kind, *_, filters in layers:
        channels.append(filters if kind == "conv" else channels[-1])
    true = [Fraction(size)]
    for layer in layers:
        assume(layer[3] == "same" or true[-1] >= layer[1])  # the model builds
        true.append(_out(layer, true[-1]))
    slips = [i for i, layer in enumerate(layers) if _out(layer, true[i], False) != true[i + 1]]
    assume(slips)  # a size that a forgotten floor changes
    slip = data.draw(st.sampled_from(slips))

    def write(x):
        return (str(x) if writing == "fraction" else _decimal(x))

    def worked_on(x):  # the value the student's next row is worked from
        return Fraction(write(x)) if writing == "decimal as written" else x

    claims, wanted = [], []
    student = true[:slip + 1]
    for i, layer in enumerate(layers):
        if i < slip:
            value, code = true[i + 1], None
        elif i == slip:
            value, code = _out(layer, true[i], False), "no_floor"
        else:
            h = student[-1]
            assume(layer[3] == "same" or h >= layer[1])  # the student's size fits the kernel
            rounded, left = _out(layer, h), _out(layer, h, False)
            value = left if forgets_again else rounded
            code = None if value == true[i + 1] else "carried" if value == rounded else \
                "no_floor"
        assume(value >= 1)
        claims.append({"layer": i, "output_shape": (write(value), write(value), channels[i + 1])})
        wanted.append(code)
        student.append(worked_on(value))
    flat = student[-1] ** 2 * channels[-1]
    claims.append({"layer": len(layers), "output_shape": (write(flat),)})
    params = worked_on(flat) * units + units
    claims.append({"layer": len(layers) + 1, "params": write(params)})
    wanted += [None if flat == true[-1] ** 2 * channels[-1] else "carried",
               None if params == true[-1] ** 2 * channels[-1] * units + units else "carried"]

    rows = sc.check(_model(size, layers, units), claims).rows
    for i, (row, code) in enumerate(zip(rows, wanted)):
        if code is None:
            assert row.ok, (i, claims[i], row.marks)
        elif code == "no_floor" and i != slip:  # the student's own slip again: it is named
            assert "no_floor" in _codes(row), (i, claims[i], row.marks)
        else:
            assert row.diagnosis == code, (i, claims[i], row.marks)
