"""Carried credit after ``no_floor``: a student who forgets to round a size down and then
works the next layers correctly from the unrounded value earns ``carried`` for those rows.

No layer builds on a size of 10/3, so the later layers are recomputed from their own
formulas at the student's values; here the expected marks come from the same sizes worked
by hand with Python's exact fractions.
"""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc


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
    assert "(10/3 + 2*0 - 2)/1 + 1 = 7/3" in again.rows[1].marks[0].follows


@st.composite
def chains(draw):
    size = draw(st.integers(12, 40))
    layers = [(draw(st.integers(1, 4)), draw(st.integers(2, 3)))
              for _ in range(draw(st.integers(2, 4)))]
    return size, layers


@settings(max_examples=40, deadline=None)
@given(chains(), st.data())
def test_a_planted_no_floor_slip_is_named_and_every_later_row_is_right_or_carried(case, data):
    size, layers = case
    true = [Fraction(size)]
    for k, s in layers:
        if true[-1] < k:
            return  # the model does not build
        true.append(Fraction(math.floor((true[-1] - k) / s) + 1))
    slips = [i for i, (k, s) in enumerate(layers) if (true[i] - k) % s]
    if not slips:
        return  # no size that a forgotten floor changes
    slip = data.draw(st.sampled_from(slips))
    student = true[:slip + 1] + [(true[slip] - layers[slip][0]) / layers[slip][1] + 1]
    for k, s in layers[slip + 1:]:
        if student[-1] < k:
            return  # the student's own size no longer fits the kernel
        student.append(Fraction(math.floor((student[-1] - k) / s) + 1))
    model = sc.Sequential([sc.Input((size, size, 1)),
                           *(sc.Conv2D(1, k, strides=s) for k, s in layers)])
    claims = [{"layer": i, "output_shape": (str(v), str(v), 1)}
              for i, v in enumerate(student[1:])]
    rows = sc.check(model, claims).rows
    assert rows[slip].diagnosis == "no_floor"
    for i in range(slip + 1, len(layers)):
        wanted = (True, None) if student[i + 1] == true[i + 1] else (False, "carried")
        assert (rows[i].ok, rows[i].diagnosis) == wanted, (i, student, true)
    for i in range(slip):
        assert rows[i].ok


def test_a_decimal_written_for_the_unfloored_size_is_carried_as_written():
    model = sc.Sequential([sc.Input((9, 9, 3)),
                           sc.Conv2D(2, (3, 2), strides=(1, 3), use_bias=False),
                           sc.Conv2D(4, 2, use_bias=False), sc.Flatten(), sc.Dense(5)])
    report = sc.check(model, [
        {"layer": 0, "output_shape": (7, 3.33, 2)},         # 10/3, as a decimal
        {"layer": 1, "output_shape": (6, 2.33, 4)},         # (3.33 - 2)/1 + 1
        {"layer": 2, "output_shape": (55.92,)},             # 6*2.33*4
    ])
    assert [r.diagnosis for r in report.rows] == ["no_floor", "no_floor", "carried"]
