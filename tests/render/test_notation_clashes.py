"""No name on a page stands for two things, in any notation preset.

A preset renames symcnn's formula symbols (``C_in`` is CS231n's ``D_1``); a rename must not
land on a name that already means something else on the same page: a volume's depth axis
(``Conv3D``) and the channels both called ``D_1``, a nested model's non-trainable terms
``N_1 + N_2`` beside a ``Dense`` layer's ``N_1`` (features in), a dilation ``D`` beside the
model's own depth ``D`` or an ``Embedding``'s width ``D``, a slice's step ``S`` beside a
stride ``S``, and (where ``_1`` and ``_2`` mean in and out, as in cs231n) a nested model's
terms ``P_1 + P_2`` beside the padding ``P``. The names checked are the printers' own
(:func:`shown_names`, the renaming :func:`notate` and so every printer applies), never a
list typed in here.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
import sympy

import symcnn as sc
from symcnn import nn
from symcnn.derivation import derive
from symcnn.render.notation import NOTATIONS, notate, rename_table, shown_names

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


def embedding():
    """An Embedding's width D beside a dilated Conv1D (one-axis: a bare dilation) and Conv2D."""
    return sc.Sequential([
        sc.Input((32,)),
        sc.Embedding(100, 16, name="emb"),
        sc.Conv1D(8, 3, dilation_rate=2, name="conv1d"),
        sc.Reshape((28, 8, 1), name="reshape"),
        sc.Conv2D(4, 3, dilation_rate=2, name="conv2d"),
    ], name="embedding")


def sliced():
    """A slice's step S beside a strided Conv1D (stride S) and Conv2D (cs231n's S)."""
    x = sc.Input((64, 4))
    y = nn.StridedSlice(((1, None, 2),), name="slice")(x)
    y = sc.Conv1D(8, 3, strides=2, name="conv1d")(y)
    y = sc.Reshape((15, 8, 1), name="reshape")(y)
    y = sc.Conv2D(4, 3, strides=2, name="conv2d")(y)
    return sc.Model(x, y, name="sliced")


def nested_padded():
    """A nested model's terms P_1, P_2, ... beside a padding P (and P_h)."""
    block = sc.Sequential([
        sc.Input(("H", "W", 3)),
        sc.Conv2D(8, 3, padding=1, name="c1"), sc.BatchNormalization(name="bn1"),
        sc.Conv2D(8, 3, padding=1, name="c2"),
    ], name="block")
    return sc.Sequential([sc.Input(("H", "W", 3)), block,
                          sc.Conv2D(4, 3, padding=1, name="c3")], name="outer")


MODELS = {"2d": two_d, "1d": one_d, "3d": three_d, "nested": nested, "embedding": embedding,
          "sliced": sliced, "nested_padded": nested_padded}


def _model_symbols(derivation) -> set:
    """The model's own symbols a derivation shows (its shapes and values): ``D``, ``H``."""
    exprs = [*derivation.input_shape, *derivation.output_shape]
    for step in derivation.steps:
        exprs += [step.value, *(v for _, v in step.bindings)]
    return {s.name for e in exprs if isinstance(e, sympy.Basic) for s in e.free_symbols}


def _windowed(record) -> bool:
    """Whether the layer slides a window (a kernel or a pool): only there are ``K``, ``S``,
    ``P``, ``D`` a window's arguments (an Embedding's ``D`` is its width, a slice's ``S``
    its step)."""
    layer = record.layer
    return getattr(layer, "kernel_size", None) is not None or \
        getattr(layer, "pool_size", None) is not None


def _page(model, preset):
    """``(layer, meaning, shown name)`` for every symbol the page shows, the model's own
    symbols as ``("model", name)``, and the pairs of meanings that are one thing, which may
    share a name: those a step states equal (``C_out = F``), and a formula symbol and the
    model's own symbol of its shown name that it is bound to (``F = F`` where a
    ``Conv2D(F, 3)`` has ``F`` filters). A meaning is symcnn's name, a window argument's
    letter whatever its axis (:func:`_meaning`)."""
    shown, equal = [], []
    for record in model._records:
        derivation = derive(record, None)
        windowed = _windowed(record)
        pairs = shown_names(derivation, preset)
        shown += [(record.name, _meaning(old, windowed), new) for old, new in pairs]
        shown += [(record.name, ("model", n), n) for n in _model_symbols(derivation)]
        equal += [(_meaning(step.key, windowed), _meaning(step.formula.name, windowed))
                  for step in derivation.steps if isinstance(step.formula, sympy.Symbol)]
        named = defaultdict(set)
        for old, new in pairs:
            named[old].add(new)
        equal += [(_meaning(s.name, windowed), ("model", v.name))
                  for step in derivation.steps for s, v in step.bindings
                  if isinstance(v, sympy.Symbol) and named[s.name] == {v.name}]
    return shown, equal


#: A layer with one spatial axis names it as a width, by design (cs231n's ``W_1``, d2l's
#: ``n_w``): its length in and out are the width in and out of a 2D layer on the same page.
ONE_AXIS = {"L_in": "W_in", "L_out": "W_out"}


def _meaning(name, windowed=True):
    """A symcnn name's quantity: a window argument's letter whatever its axis, in a layer
    that slides a window; a one-axis length as a width; else the name itself."""
    match = windowed and isinstance(name, str) and WINDOW.fullmatch(name)
    return ("window", match.group(1)) if match else ONE_AXIS.get(name, name)


def _clashes(shown, equal) -> dict:
    """Each shown name that stands for quantities no step states equal: ``{name: them}``.
    A name may stand for names a step states equal (d2l's ``c_o = c_o`` for ``C_out =
    F``), linked directly among themselves, never through a third quantity."""
    by_name = defaultdict(set)
    for _, meaning, new in shown:
        by_name[new].add(meaning)
    edges = {frozenset(pair) for pair in equal}
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


def _numbers_in_and_out(preset) -> bool:
    """Whether the preset's subscripts 1 and 2 mean in and out (cs231n's ``H_1``, ``H_2``),
    read from its own renames."""
    table = rename_table(preset)
    return table.get("H_in", "").endswith("_1") and table.get("H_out", "").endswith("_2")


def _numbered_beside_their_letter(shown, preset) -> dict:
    """Where subscripts 1 and 2 mean in and out, a numbered symbol symcnn shows as it names
    it (a nested model's ``P_1``, ``P_2``) reads as its letter's in and out: ``{name:
    letter}`` for each shown beside a bare formula letter of another meaning (``P``)."""
    if not _numbers_in_and_out(preset):
        return {}
    bare = {new for _, meaning, new in shown
            if not (isinstance(meaning, tuple) and meaning[0] == "model")
            and re.fullmatch(r"[A-Za-z]", new)}
    return {new: new[0] for _, meaning, new in shown
            if meaning == new and re.fullmatch(r"[A-Za-z]_\d+", new) and new[0] in bare}


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("kind", MODELS)
def test_distinct_symbols_get_distinct_names(kind, preset):
    shown, equal = _page(MODELS[kind](), preset)
    assert _clashes(shown, equal) == {}
    assert _numbered_beside_their_letter(shown, preset) == {}


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("kind", MODELS)
def test_a_symbol_has_one_name_in_a_layer(kind, preset):
    """Within one layer a symbol other than a window argument is shown by one name (a
    window argument may be ``F`` on a line of its own and ``F_h`` beside ``F_w``)."""
    shown, _ = _page(MODELS[kind](), preset)
    names = defaultdict(set)
    for layer, meaning, new in shown:
        if not (isinstance(meaning, tuple) and meaning[0] == "window"):
            names[layer, meaning].add(new)
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


@pytest.mark.parametrize("kind, preset, before, after, clash", [
    # the names these pages showed before: a dilation D, a slice's S, cs231n's P_1 + P_2
    ("embedding", "keras", "D'", "D", {"D": {"D", ("window", "D")}}),
    ("embedding", "cs231n", "D'", "D", {"D": {"D", ("window", "D")}}),
    ("sliced", "keras", "S'", "S", {"S": {"S", ("window", "S")}}),
    ("sliced", "cs231n", "S'", "S", {"S": {"S", ("window", "S")}}),
])
def test_the_guard_sees_each_clash_these_pages_had(kind, preset, before, after, clash):
    """Named as before (the dilation ``D`` beside an Embedding's ``D``, a slice's step ``S``
    beside a stride ``S``), the page fails the check; as printed, it passes."""
    shown, equal = _page(MODELS[kind](), preset)
    assert any(new == before for _, _, new in shown)
    doctored = [(layer, meaning, after if new == before else new)
                for layer, meaning, new in shown]
    assert _clashes(doctored, equal) == clash and _clashes(shown, equal) == {}


def test_the_guard_sees_a_nested_models_p_1_beside_cs231ns_padding_p():
    shown, _ = _page(nested_padded(), "cs231n")
    doctored = [(layer, meaning, new.replace("'", "") if meaning in ("P_1", "P_2", "P_3")
                 else new) for layer, meaning, new in shown]
    assert _numbered_beside_their_letter(doctored, "cs231n") == {"P_1": "P", "P_2": "P",
                                                                  "P_3": "P"}
    assert _numbered_beside_their_letter(shown, "cs231n") == {}
    # elsewhere a numbered term is no letter's in or out: Keras' P_1 beside a Conv1D's P
    assert _numbered_beside_their_letter(doctored, "keras") == {}


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
    one's dilation is D' (cs231n's D is the depth's letter), beside the model's own depth
    D."""
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


def test_a_nested_models_terms_are_primed_beside_cs231ns_padding_p():
    """cs231n's subscripts 1 and 2 mean in and out (W_1, W_2): a block's P_1 + P_2 beside
    the padding P would read as the padding in and out, so they are P'_1 + P'_2, in the
    formula and in the note that says which layer each is; the working is unchanged."""
    outer = nested_padded()
    original = outer.layers[0].derivation
    block = notate(original, "cs231n")
    assert sympy.sstr(block["params"].formula) == "P'_1 + P'_2 + P'_3"
    assert block["params"].working.doit() == original["params"].value
    assert "c1, a Conv2D (P'_1)" in block.notes[0]
    assert "P" in {s.name for s in notate(outer.layers[1].derivation, "cs231n")["H_2"]
                   .formula.free_symbols}
    for preset in ("keras", "d2l", "dumoulin"):  # where no bare P means something else
        assert notate(original, preset)["params"].formula == original["params"].formula


@pytest.mark.parametrize("preset", PRESETS)
def test_a_slices_step_is_primed_where_a_stride_is_s(preset):
    """Keras' one-axis stride and cs231n's are S: there a slice's step is S', in its formula
    and its note; d2l and Dumoulin & Visin write strides s_h, s, and the slice keeps S."""
    layers = {r.name: r for r in sliced().layers}
    original = layers["slice"].derivation
    step = notate(original, preset).steps[0]
    stride = {new for old, new in shown_names(layers["conv1d"].derivation, preset)
              if old == "S"}
    expected = "S'" if stride == {"S"} else "S"
    assert {s.name for s in step.formula.free_symbols} == {"N1_in", "B", expected}
    assert f"x[B:E:{expected}]" in notate(original, preset).notes[0]
    assert step.working.doit() == original.steps[0].value
