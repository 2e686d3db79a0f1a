"""No name on a page stands for two things, in any notation preset.

A preset renames symcnn's formula symbols (``C_in`` is CS231n's ``D_1``); a rename must not
land on a name that already means something else on the same page: a volume's depth axis
(``Conv3D``) and the channels both called ``D_1``, a nested model's non-trainable terms
``N_1 + N_2`` beside a ``Dense`` layer's ``N_1`` (features in), a dilation ``D`` beside the
model's own depth ``D``. The names checked are the printers' own (:func:`shown_names`, the
renaming :func:`notate` and so every printer applies), never a list typed in here.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
import sympy

import symcnn as sc
from symcnn.derivation import derive
from symcnn.render.notation import NOTATIONS, notate, shown_names

PRESETS = list(NOTATIONS)

#: A window argument along one axis (``K_h``, ``S_w``, ``P_d``, ``D_h``; d2l's total padding
#: ``T_P_h``) or of a layer with one axis (``K``): one quantity whatever its axis, which a
#: preset may write as one letter (cs231n's ``F``) when the axes agree.
WINDOW = re.compile(r"(?:T_)?([KSPD])(?:_[dhw])?")


def two_d():
    return sc.Sequential([
        sc.Input(("H", "W", 4)),
        sc.Conv2D(8, (3, 5), strides=2, padding=1, groups=2, name="conv"),
        sc.MaxPooling2D(2, name="pool"),
        sc.DepthwiseConv2D(3, dilation_rate=2, name="dw"),
        sc.SeparableConv2D(8, 3, name="sep"),
        sc.BatchNormalization(name="bn"),
        sc.Flatten(name="flat"),
        sc.Dense(10, name="dense"),
    ], name="two_d")


def one_d():
    return sc.Sequential([
        sc.Input(("L", 4)),
        sc.Conv1D(8, 3, dilation_rate=2, groups=2, name="conv"),
        sc.MaxPooling1D(2, name="pool"),
        sc.SeparableConv1D(4, 3, padding="same", name="sep"),
        sc.Flatten(name="flat"),
        sc.Dense(3, name="dense"),
    ], name="one_d")


def three_d():
    return sc.Sequential([
        sc.Input(("D", "H", "W", 3)),
        sc.Conv3D(8, 3, name="conv"),
        sc.MaxPooling3D(2, name="pool"),
        sc.Conv3D(4, (3, 3, 5), strides=(1, 2, 1), dilation_rate=2, padding=1, name="dil"),
        sc.AveragePooling3D(2, padding="same", name="avg"),
        sc.GlobalAveragePooling3D(name="gap"),
        sc.Dense(5, name="dense"),
    ], name="three_d")


def nested():
    block = sc.Sequential([
        sc.Input(("H", "W", 3)),
        sc.Conv2D(8, 3, name="c1"), sc.BatchNormalization(name="bn1"),
        sc.Conv2D(8, 3, name="c2"), sc.BatchNormalization(name="bn2"),
    ], name="block")
    return sc.Sequential([sc.Input(("H", "W", 3)), block, sc.Flatten(name="flat"),
                          sc.Dense(10, name="dense")], name="outer")


MODELS = {"2d": two_d, "1d": one_d, "3d": three_d, "nested": nested}


def _model_symbols(derivation) -> set:
    """The model's own symbols a derivation shows (its shapes and values): ``D``, ``H``."""
    exprs = [*derivation.input_shape, *derivation.output_shape]
    for step in derivation.steps:
        exprs += [step.value, *(v for _, v in step.bindings)]
    return {s.name for e in exprs if isinstance(e, sympy.Basic) for s in e.free_symbols}


def _page(model, preset):
    """``(layer, symcnn name, shown name)`` for every symbol the page shows, the model's own
    symbols as ``("model", name)``, and the pairs of names a step states equal (``C_out =
    F``), which may share a name."""
    shown, equal = [], []
    for record in model._records:
        derivation = derive(record, None)
        shown += [(record.name, old, new) for old, new in shown_names(derivation, preset)]
        shown += [(record.name, ("model", n), n) for n in _model_symbols(derivation)]
        equal += [(step.key, step.formula.name) for step in derivation.steps
                  if isinstance(step.formula, sympy.Symbol)]
    return shown, equal


def _meaning(name):
    """A symcnn name's quantity: a window argument's letter whatever its axis."""
    match = isinstance(name, str) and WINDOW.fullmatch(name)
    return ("window", match.group(1)) if match else name


def _clashes(shown, equal) -> dict:
    """Each shown name that stands for quantities no step states equal: ``{name: them}``.
    A name may stand for names a step states equal (d2l's ``c_o = c_o`` for ``C_out =
    F``), linked directly among themselves, never through a third quantity."""
    by_name = defaultdict(set)
    for _, old, new in shown:
        by_name[new].add(_meaning(old))
    edges = {frozenset((_meaning(a), _meaning(b))) for a, b in equal}
    out = {}
    for name, meanings in by_name.items():
        reached, todo = set(), [next(iter(meanings))]
        while todo:
            m = todo.pop()
            reached.add(m)
            todo += [n for n in meanings - reached if frozenset((m, n)) in edges]
        if reached != meanings:
            out[name] = meanings
    return out


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("kind", MODELS)
def test_distinct_symbols_get_distinct_names(kind, preset):
    shown, equal = _page(MODELS[kind](), preset)
    assert _clashes(shown, equal) == {}


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("kind", MODELS)
def test_a_symbol_has_one_name_in_a_layer(kind, preset):
    """Within one layer a symbol other than a window argument is shown by one name (a
    window argument may be ``F`` on a line of its own and ``F_h`` beside ``F_w``)."""
    shown, _ = _page(MODELS[kind](), preset)
    names = defaultdict(set)
    for layer, old, new in shown:
        if not (isinstance(old, str) and WINDOW.fullmatch(old)):
            names[layer, old].add(new)
    assert {k: v for k, v in names.items() if len(v) > 1} == {}


def test_the_guard_sees_the_pages_names():
    """The names checked are those printed: every name the cs231n page of the 3D model shows
    is in its Markdown derivation, and the checks would see a clash (the depth axis and the
    channels both ``D_1``, as before cs231n named the axis ``T_1``)."""
    model = three_d()
    shown, equal = _page(model, "cs231n")
    text = model.to_markdown(style="derivation", notation="cs231n")
    for _, _, new in shown:
        assert re.search(rf"(?<![\w']){re.escape(new)}(?![\w'])", text), new
    doctored = [(layer, old, "D_1" if old == "D_in" else new) for layer, old, new in shown]
    assert _clashes(doctored, equal) == {"D_1": {"C_in", "D_in"}}


def _conv3d_steps(preset):
    return notate(three_d().layers[0].derivation, preset)


def test_cs231n_names_a_volumes_depth_axis_t_and_keeps_d_for_the_channels():
    d = _conv3d_steps("cs231n")
    assert [s.key for s in d][:4] == ["T_2", "H_2", "W_2", "D_2"]
    assert sympy.sstr(d["T_2"].formula) == "floor((T_1 + 2*P - F)/S) + 1"
    assert {s.name for s in d["params"].formula.free_symbols} == {"D_1", "F", "K"}
    assert dict(d["T_2"].bindings)[sympy.Symbol("T_1")] == sc.symbols("D")


@pytest.mark.parametrize("printer, depth_out, channels_out, dilation", [
    ("to_latex", "T_{2} &=", "D_{2} &=", "D' "),
    ("to_markdown", "T_2 =", "D_2 =", "D'*"),
    ("to_html", "<mi>T</mi><mi>2</mi></msub><mo>=", "<mi>D</mi><mi>2</mi></msub><mo>=",
     '<mi>D</mi><mo lspace="0" rspace="0">\u2032</mo>'),
])
def test_every_printer_shows_a_volume_in_cs231n_without_a_clash(printer, depth_out,
                                                                  channels_out, dilation):
    """A Conv3D's depth axis is T_2, its channels D_2, each a line of its own; the dilated
    one's dilation is D', beside the model's own depth D."""
    text = getattr(three_d(), printer)(style="derivation", notation="cs231n")
    conv = text[text.index("conv"):text.index("pool")]
    assert conv.count(depth_out) == 1 and conv.count(channels_out) == 1
    assert dilation in text[text.index("dil"):]


def test_a_nested_models_terms_are_primed_beside_a_dense_layers_n_1_in_cs231n():
    outer = nested()
    block = notate(outer.layers[0].derivation, "cs231n")
    dense = notate(outer.layers[2].derivation, "cs231n")
    frozen = block["non_trainable"]
    assert {s.name for s in frozen.formula.free_symbols} == {"N'_2", "N'_4"}
    assert frozen.working.doit() == outer.layers[0].derivation["non_trainable"].value
    assert {s.name for s in dense["params"].formula.free_symbols} == {"N_1", "U"}
    for printer in ("to_latex", "to_markdown", "to_html"):
        text = getattr(outer, printer)(style="derivation", notation="cs231n")
        assert "N_{2} + N_{4}" not in text and "N_2 + N_4" not in text
