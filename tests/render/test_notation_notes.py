"""The notes under a derivation speak the notation of its formulas: in a d2l (or cs231n,
Dumoulin & Visin) sheet a note names ``c_i/G``, never symcnn's ``C_in/G``, in every layer
family and in every printer (text, LaTeX, HTML, Markdown)."""

from __future__ import annotations

import re

import pytest
import sympy

import symcnn as sc
from symcnn.render.latex_long import typeset_note
from symcnn.render.notation import NOTATIONS, notate, rename_table
from symcnn.zoo.lenet import LENET5_C3_TABLE, TableConv2D


def _seq(shape, *layers):
    return sc.Sequential([sc.Input(shape), *layers])


def _block():
    # inner layers named like formula symbols: a name is not a symbol, no preset renames it
    inner = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3, name="F"),
                           sc.BatchNormalization(name="bn"), sc.Flatten(name="C_in")],
                          name="inner")
    return _seq((8, 8, 3), inner)


def _merge():
    a, b = sc.Input((8, 8, 4)), sc.Input((1, 1, 4))
    return sc.Model([a, b], sc.Add()([a, b]))


def _attention():
    q, v = sc.Input((10, 8)), sc.Input((12, 8))
    return sc.Model([q, v], sc.MultiHeadAttention(2, 4)(q, v))


#: A model per layer family, each with the notes its family writes.
FAMILIES = {
    "conv2d": lambda: _seq((32, 32, 4), sc.Conv2D(8, 3, strides=2, padding="same", groups=2)),
    "conv1d": lambda: _seq((32, 4), sc.Conv1D(8, 3, padding="same", groups=2)),
    "conv3d": lambda: _seq((8, 8, 8, 4), sc.Conv3D(8, 3, groups=2)),
    "separable2d": lambda: _seq((32, 32, 4), sc.SeparableConv2D(8, (3, 5))),
    "separable1d": lambda: _seq((32, 4), sc.SeparableConv1D(8, 3, dilation_rate=2)),
    "depthwise": lambda: _seq((32, 32, 4), sc.DepthwiseConv2D(3, padding="same")),
    "transpose": lambda: _seq((8, 8, 4), sc.Conv2DTranspose(8, 3, strides=2)),
    "table_conv": lambda: _seq((14, 14, 6), TableConv2D(LENET5_C3_TABLE, 5)),
    "pooling": lambda: _seq((32, 32, 4), sc.MaxPooling2D(3, strides=2, padding=1,
                                                         ceil_mode=True)),
    "pooling1d": lambda: _seq((32, 4), sc.AveragePooling1D(2, padding="same")),
    "global_pooling": lambda: _seq((8, 8, 4), sc.GlobalAveragePooling2D(keepdims=True)),
    "adaptive_pooling": lambda: _seq((8, 8, 4), sc.AdaptiveAveragePooling2D(2)),
    "batch_norm": lambda: _seq((8, 8, 4), sc.BatchNormalization()),
    "normalization": lambda: _seq((8, 4), sc.Normalization()),
    "dense": lambda: _seq((8, 8, 4), sc.Flatten(), sc.Dense(10, lora_rank=2)),
    "frozen": lambda: _seq((16,), sc.Dense(10, trainable=False)),
    "reshape": lambda: _seq((8, 8, 4), sc.Reshape((-1, 4))),
    "merge": _merge,
    "recurrent": lambda: _seq((10, 4), sc.LSTM(8)),
    "bidirectional": lambda: _seq((10, 4), sc.Bidirectional(sc.GRU(8))),
    "attention": _attention,
    "einsum": lambda: _seq((4,), sc.EinsumDense("ab,bc->ac", output_shape=6, bias_axes="c")),
    "block": _block,
    "repeat": lambda: _seq((8, 8, 4), sc.Repeat(sc.Conv2D(4, 3, padding="same"), 3)),
    "pad_to_multiple": lambda: _seq((7, 7, 4), sc.nn.PadToMultiple((2, 2), axes=(0, 1))),
    "strided_slice": lambda: _seq((8, 8, 4), sc.nn.StridedSlice(((0, None, 2), (1, None, 2),
                                                                 (None, None, None)))),
    "window_attention": lambda: _seq((14, 14, 8),
                                     sc.nn.ShiftedWindowAttention(8, (7, 7), 2, (3, 3))),
}


def _tables():
    return {p: rename_table(p, one_axis=True) for p in NOTATIONS}


#: Every name some preset writes or renames: symcnn's (the tables' keys) and the presets'.
ALL_NAMES = {name for table in _tables().values() for pair in table.items() for name in pair}


def own_names(preset: str) -> set:
    """The names ``preset`` writes: its renames, and symcnn's names it keeps."""
    table = _tables()[preset]
    symcnn_names = {k for t in _tables().values() for k in t}
    return set(table.values()) | (symcnn_names - set(table))


def _without_code(note: str) -> str:
    """A note without its code (``padding='same'``, a layer's name in backticks)."""
    return re.sub(r"`[^`]*`|\b\w+='[^']*'", " ", note)


def _shown_symbols(derivation) -> set:
    """The names the derivation's formulas show, as notated."""
    return {s.name for step in derivation.steps if step.formula is not None
            for s in step.formula.free_symbols} | {step.key for step in derivation.steps}


def _words(names) -> re.Pattern:
    """Each of ``names`` as a whole word: not in ``Flatten``, ``beta's`` or ``gate(s)``."""
    names = sorted(names, key=len, reverse=True)
    return re.compile(r"(?<![\w'])(?<!\w\()(" + "|".join(map(re.escape, names))
                      + r")(?![\w'])")


#: Symbols (a letter, a subscript after ``_``) joined by ``*`` or ``/``: ``C_in*K_h*K_w*M``.
_COUNT = re.compile(r"(?<![\w'])[A-Za-z](?:_[A-Za-z0-9]+)?(?:[*/][A-Za-z](?:_[A-Za-z0-9]+)?)+"
                    r"(?![\w'])")

CASES = [(p, f) for p in NOTATIONS for f in FAMILIES]


@pytest.mark.parametrize("preset, family", CASES, ids=[f"{p}-{f}" for p, f in CASES])
def test_a_note_names_no_other_presets_symbol(preset, family):
    """Outside code, a note names no symbol of another preset (or symcnn's, in a preset
    that renames it), unless the layer's formulas show that very name (a slice's step S)."""
    derivations = [notate(r.derivation, preset) for r in FAMILIES[family]().layers]
    assert any(d.notes for d in derivations), f"{family} writes no note: the test says nothing"
    for d in derivations:
        foreign = ALL_NAMES - own_names(preset) - _shown_symbols(d)
        leaked = [(n, m.group()) for n in d.notes for m in _words(foreign).finditer(
            _without_code(n))]
        assert leaked == [], f"{d.name}: {leaked}"


@pytest.mark.parametrize("preset, family", CASES, ids=[f"{p}-{f}" for p, f in CASES])
def test_a_count_in_a_note_is_one_formulas_symbols(preset, family):
    """``C_in*K_h*K_w*M`` or ``C_in/G`` in a note is made of one formula's symbols, as
    notated (cs231n's ``F_h*F_w`` for a 3x5 kernel, where ``F*F`` would mean a square one)."""
    for record in FAMILIES[family]().layers:
        d = notate(record.derivation, preset)
        formulas = [{s.name for s in step.formula.free_symbols} for step in d.steps
                    if step.formula is not None]
        for note in d.notes:
            for count in _COUNT.findall(_without_code(note)):
                names = set(re.split(r"[*/]", count))
                assert any(names <= f for f in formulas), (d.name, count, formulas)


@pytest.mark.parametrize("preset, family", CASES, ids=[f"{p}-{f}" for p, f in CASES])
def test_a_note_in_latex_escapes_its_text_and_sets_its_symbols_as_math(preset, family):
    for record in FAMILIES[family]().layers:
        for note in notate(record.derivation, preset).notes:
            tex = typeset_note(note)
            assert tex.count("$") % 2 == 0, tex
            text = re.sub(r"\$[^$]*\$|\\texttt\{[^}]*\}", "", tex)  # set as text
            assert re.search(r"(?<!\\)[_^&%#]", text) is None, tex
            # no symbol shown with an underscore (C\_in) where the formulas show C_{in}
            assert re.search(r"(?<![A-Za-z0-9])[A-Za-z]\\_[A-Za-z0-9]", text) is None, tex


def _grouped_model():
    return sc.Sequential([sc.Input((32, 32, 4)), sc.Conv2D(8, 3, groups=2, name="grouped"),
                          sc.SeparableConv2D(8, 3, name="separable"), sc.Flatten(name="flat"),
                          sc.Dense(3, name="out")])


def test_a_d2l_sheet_names_the_channels_c_i_in_its_notes_in_every_printer():
    model = _grouped_model()
    tex = model.to_latex(style="derivation", notation="d2l")
    assert r"each filter sees $c_{i}/G$ of the input channels" in tex
    assert r"($c_{i} k_{h} k_{w} M$ weights), then a pointwise one ($c_{i} M c_{o}$)" in tex
    html = model.to_html(style="derivation", notation="d2l")
    assert "<msub><mi>c</mi><mi>i</mi></msub><mo>/</mo><mi>G</mi>" in html
    markdown = model.to_markdown(style="derivation", notation="d2l")
    assert "(`c_i*k_h*k_w*M` weights), then a pointwise one (`c_i*M*c_o`)" in markdown
    assert "sees $c_{i}/G$ of" in model.to_markdown(style="derivation", math=True,
                                                     notation="d2l")
    for page in (tex, html, markdown):
        assert "C_in" not in page and r"C_{\mathrm{in}}" not in page and \
            "<mi>in</mi>" not in page


def test_a_cs231n_note_tells_a_3_by_5_kernel_f_h_by_f_w_as_its_formula_does():
    layer = sc.Sequential([sc.Input((32, 32, 4)), sc.SeparableConv2D(8, (3, 5))]).layers[0]
    d = notate(layer.derivation, "cs231n")
    assert sympy.sstr(d["params"].formula) == "D_1*F_h*F_w*M + D_1*M*K + K"
    assert d.notes == ("A depthwise convolution (D_1*F_h*F_w*M weights), then a pointwise "
                       "one (D_1*M*K).",)


def test_a_layer_named_like_a_symbol_keeps_its_name_in_a_blocks_notes():
    d = notate(_block().layers[0].derivation, "cs231n")  # the terms primed beside cs231n's P
    assert "added up: `F`, a Conv2D (P'_1); bn, a BatchNormalization (P'_2)." in d.notes[0]
    assert "`F` (Conv2D) and `C_in` (Flatten)" in d.notes[-1]
    assert r"\texttt{C\_in} (Flatten)" in typeset_note(d.notes[-1])
