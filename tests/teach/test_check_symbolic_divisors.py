"""A size written with a symbolic stride or pooling size is marked as a teacher would: a
right answer is never marked wrong. ``identically_zero`` cannot expand ``floor(H/s)`` for a
symbol ``s``; a one-point test found no difference, then ``simplify(gap) == 0`` was False,
so "could not prove" became "wrong" (``-(-H//s)`` for ``ceiling(H/s)``: ``unexplained``).
Now a normal form proves the identities, ``Max``/``Min`` are settled by the model's
constraints, and what is neither proved nor refuted is tried at many admissible sizes: a
size where the answer differs refutes it (the note names it), agreement at all credits it
with an honest note. Every verdict is checked against a brute-force count of window
positions in plain Python."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc

from ..conftest import fuzz_examples

H, W, s, k = sc.symbols("H W s k")


def windows(size: int, kernel: int, stride: int, same: bool) -> int:
    """How many windows fit: starts 0, stride, 2*stride, ... (Keras' 'same' pads so that
    every start below ``size`` has one; 'valid' needs the window inside)."""
    last = size - 1 if same else size - kernel
    return sum(1 for start in range(0, last + 1, stride))


def value(form: str, **sizes) -> Fraction:
    """A claimed size, evaluated exactly in Python (``/`` on Fractions, ``//`` and ``%``
    as Python's)."""
    names = {name: Fraction(v) for name, v in sizes.items()}
    names.update(floor=math.floor, ceiling=math.ceil, Min=min, Max=max, Mod=lambda a, b: a % b)
    return eval(form, {"__builtins__": {}}, names)  # noqa: S307 (a form this file wrote)


# Layers along H: (model layer, brute force of the size from (h, stride s, kernel k), the
# numerator A and divisor D of its closed form floor(A/D) + 1 ('valid') or ceiling(A/D)).
LAYERS = {
    "conv3_valid": (lambda: sc.Conv2D(4, 3, strides=s),
                    lambda h, s, k: windows(h, 3, s, False), "H - 3", "s", "valid"),
    "convk_valid": (lambda: sc.Conv2D(4, k, strides=s),
                    lambda h, s, k: windows(h, k, s, False), "H - k", "s", "valid"),
    "conv5_same": (lambda: sc.Conv2D(4, 5, strides=s, padding="same"),
                   lambda h, s, k: windows(h, 5, s, True), "H", "s", "same"),
    "pool_k": (lambda: sc.MaxPooling2D(k),
               lambda h, s, k: windows(h, k, k, False), "H - k", "k", "valid"),
    "pool2_s": (lambda: sc.MaxPooling2D(2, strides=s),
                lambda h, s, k: windows(h, 2, s, False), "H - 2", "s", "valid"),
}

#: floor(A/D) + 1 written another way (each an identity for integer A, positive integer D).
FLOOR_FORMS = ["({A})//{D} + 1", "floor(({A})/{D}) + 1", "({A} + {D})//{D}",
               "ceiling(({A} + 1)/{D})", "-(-({A} + 1)//{D})", "-((-({A}) - 1)//{D})",
               "(({A}) - ({A}) % {D})/{D} + 1", "({A} - Mod({A}, {D}))/{D} + 1",
               "({A} + 2*{D})//{D} - 1",
               "floor(({A} + {D} - 1)/{D}) - (({A}) % {D} + {D} - 1)//{D} + 1"]
#: ceiling(A/D) written another way.
CEILING_FORMS = ["ceiling({A}/{D})", "-(-{A}//{D})", "({A} + {D} - 1)//{D}",
                 "({A} - 1)//{D} + 1", "floor(({A} - 1)/{D}) + 1",
                 "{A}//{D} + ({A} % {D} + {D} - 1)//{D}", "-floor(-{A}/{D})"]
#: Right, but beyond the normal form: credited only as equal at every size tried.
UNPROVED = {"valid": "({A})//{D} + Min(1, ({A}) % {D} + 1)",
            "same": "{A}//{D} + Min(1, {A} % {D})"}
#: Slips: off by one, the wrong divisor, the other rounding.
SLIPS = {"valid": ["({A})//{D} + 2", "({A})//{D}", "({A})//({D} + 1) + 1",
                   "ceiling(({A})/{D}) + 1", "({A} + 1)//{D} + 1", "({A})//(2*{D}) + 1"],
         "same": ["{A}//{D}", "-(-{A}//{D}) + 1", "-(-{A}//({D} + 1))", "({A} + {D})//{D}",
                  "({A} - 1)//{D}"]}


def mark(layer: str, form: str):
    build, _, _, _, _ = LAYERS[layer]
    model = sc.Sequential([sc.Input((H, W, 3)), build()])
    width = model.layers[0].output_shape[1]
    claim = f"({form}, {width}, {model.layers[0].output_shape[2]})"
    return model, sc.check(model, [{"layer": 0, "output_shape": claim}]).rows[0].marks[0]


def box(layer: str):
    """Admissible (h, s, k) of a box that covers several periods of every stride."""
    low = {"conv3_valid": lambda s, k: 3, "convk_valid": lambda s, k: k,
           "conv5_same": lambda s, k: 1, "pool_k": lambda s, k: k, "pool2_s": lambda s, k: 2}
    for stride in range(1, 11):
        for kernel in range(1, 6):
            for h in range(low[layer](stride, kernel), 45):
                yield h, stride, kernel


def agrees(layer: str, form: str, h: int, stride: int, kernel: int) -> bool:
    truth = LAYERS[layer][1](h, stride, kernel)
    try:
        return value(form, H=h, s=stride, k=kernel) == truth
    except ZeroDivisionError:
        return False


def right_everywhere(layer: str, form: str) -> bool:
    return all(agrees(layer, form, *p) for p in box(layer))


def check_note(layer: str, form: str, note: str) -> None:
    """A note that names a size where the answer differs names a true one."""
    found = re.fullmatch(r"differs at (.*): yours is (\S+), expected (\S+)", note)
    assert found, note
    at = {name: int(v) for name, v in re.findall(r"(\w+) = (\d+)", found[1])}
    assert not agrees(layer, form, at["H"], at.get("s", 1), at.get("k", 1)), (form, note)


@pytest.mark.parametrize("form", ["-(-H//s)", "(H + s - 1)//s", "floor((H-1)/s) + 1",
                                  "(H-1)//s + 1", "H//s + (H % s + s - 1)//s"])
def test_a_same_padded_size_with_a_symbolic_stride_is_right_however_written(form):
    """The three forms of the report were 'unexplained'."""
    assert right_everywhere("conv5_same", form)
    model, m = mark("conv5_same", form)
    assert m.ok and m.note is None, (form, m.diagnosis, m.note)  # proved, not just tried


def test_the_reported_valid_and_pooling_forms_are_right():
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 3, strides=s)])
    claim = "(ceiling((H-2)/s), ceiling((W-2)/s), 8)"  # floor((H - 3)/s) + 1
    assert all(value("ceiling((H-2)/s)", H=h, s=t) == windows(h, 3, t, False)
               for h in range(3, 60) for t in range(1, 20))
    assert sc.check(model, [{"layer": 0, "output_shape": claim}]).ok
    pool = sc.Sequential([sc.Input((H, W, 3)), sc.MaxPooling2D(k)])
    for form in ["ceiling((H+1)/k) - 1", "(H - Mod(H, k))/k", "(H - H % k)/k"]:
        assert all(value(form, H=h, k=t) == windows(h, t, t, False)
                   for t in range(1, 20) for h in range(t, 80))
        assert sc.check(pool, [{"layer": 0, "output_shape": f"({form}, W//k, 3)"}]).ok, form


def test_max_and_min_are_settled_by_the_models_constraints():
    """``Max(H - 4, 1)`` is ``H - 4`` where the model needs ``H >= 8``: it was unexplained."""
    n = sc.symbols("n")
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(n, 5), sc.Conv2D(n, 3),
                           sc.MaxPooling2D(2)])
    assert [str(c) for c in model.constraints] == ["H >= 8", "W >= 8"]
    h_low = 8
    assert all(max(h - 4, 1) == h - 4 for h in range(h_low, 200))
    mark = sc.check(model, [{"layer": 0, "output_shape": "(Max(H-4, 1), min(W - 4, 2*W), n)"}]
                    ).rows[0].marks[0]
    assert mark.ok and mark.note is None
    # a Max the constraints do not settle: refuted at the least size the model allows
    assert max(8 - 4, 5) != 8 - 4
    mark = sc.check(model, [{"layer": 0, "output_shape": "(Max(H - 4, 5), W - 4, n)"}]
                    ).rows[0].marks[0]
    assert not mark.ok and mark.note == "differs at H = 8: yours is 5, expected 4"


def test_what_is_neither_proved_nor_refuted_is_credited_with_an_honest_note():
    form = "H//s + Min(1, H % s)"
    assert right_everywhere("conv5_same", form)
    model, m = mark("conv5_same", form)
    assert m.ok and m.note.startswith("equal at every one of ") and "not proved" in m.note
    assert "s from 1 to 36" in m.note
    report = sc.check(model, [{"layer": 0, "output_shape": f"({form}, -(-W//s), 4)"}])
    assert report.ok and "not proved" in report.to_text() and "not proved" in \
        report.to_markdown() and "not proved" in report.to_html()


def test_a_wrong_form_is_refuted_at_a_size_the_note_names():
    model, m = mark("conv5_same", "H//s")
    assert not m.ok
    check_note("conv5_same", "H//s", m.note)
    assert "differs at H = 1, s = 2" in sc.check(
        model, [{"layer": 0, "output_shape": "(H//s, W//s, 4)"}]).to_text()


@settings(max_examples=fuzz_examples(60), deadline=None)
@given(layer=st.sampled_from(sorted(LAYERS)), data=st.data())
def test_random_right_forms_are_credited_and_random_slips_refuted(layer, data):
    _, _, a, d, kind = LAYERS[layer]
    right = FLOOR_FORMS if kind == "valid" else CEILING_FORMS
    form_kind = data.draw(st.sampled_from(["right", "right", "unproved", "slip"]))
    if form_kind == "right":
        form = data.draw(st.sampled_from(right)).format(A=a, D=d)
    elif form_kind == "unproved":
        form = UNPROVED[kind].format(A=a, D=d)
    else:
        form = data.draw(st.sampled_from(SLIPS[kind])).format(A=a, D=d)
    truly = right_everywhere(layer, form)
    assert truly == (form_kind != "slip"), form  # the brute force agrees with the intent
    _, m = mark(layer, form)
    assert m.ok == truly, (layer, form, m.diagnosis, m.note)
    if not m.ok and m.note:
        check_note(layer, form, m.note)
    if m.ok and m.note:
        assert "not proved" in m.note
