"""Notation presets: a derivation printed in Keras', CS231n's, d2l's and Dumoulin & Visin's
names is the same formula: renamed back (d2l's total padding halved) it equals symcnn's, and
in every notation the working evaluates to the model's value."""

from __future__ import annotations

import re

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn.render.notation import NOTATIONS, notate, rename_table, shown_names

NAMES = list(NOTATIONS)


def conv_model(k, s, p, filters, size):
    return sc.Sequential([sc.Input((size, size + 3, 3)),
                          sc.Conv2D(filters, (k, k + 1), strides=s, padding=p)])




@settings(max_examples=30)
@given(st.integers(1, 5), st.integers(1, 3), st.integers(0, 2), st.integers(1, 16),
       st.integers(8, 40))
def test_every_notation_gives_the_same_value(k, s, p, filters, size):
    d = conv_model(k, s, p, filters, size).layers[0].derivation
    for notation in NAMES:
        for step, original in zip(notate(d, notation), d):
            assert step.value == original.value
            if step.formula is not None:
                assert sympy.expand(step.working.doit()) == original.value, notation


@pytest.mark.parametrize("notation", NAMES)
def test_a_formula_in_each_notation_equals_symcnns_after_substitution(notation):
    d = conv_model(3, 2, 1, 8, 32).layers[0].derivation
    for step, original in zip(notate(d, notation), d):
        if step.formula is None:
            continue
        # substitute each notation's symbols by the same values as symcnn's: equal formulas
        mine = step.formula.xreplace({s: sympy.Symbol(f"x{i}") for i, (s, _) in
                                      enumerate(step.bindings)}).doit()
        keras = original.formula.xreplace({s: sympy.Symbol(f"x{i}") for i, (s, _) in
                                           enumerate(original.bindings)}).doit()
        values_mine = {sympy.Symbol(f"x{i}"): v for i, (_, v) in enumerate(step.bindings)}
        values_keras = {sympy.Symbol(f"x{i}"): v for i, (_, v) in enumerate(original.bindings)}
        assert mine.xreplace(values_mine) == keras.xreplace(values_keras) == original.value


def test_the_textbook_forms_appear():
    d = conv_model(3, 2, 1, 8, 32).layers[0].derivation
    show = lambda n, key: sympy.sstr(notate(d, n)[key].formula)  # noqa: E731
    assert show("cs231n", "H_2") == "floor((H_1 + 2*P - F_h)/S) + 1"  # a 3x4 kernel
    square = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(8, 3, strides=2, padding=1)])
    assert sympy.sstr(notate(square.layers[0].derivation, "cs231n")["H_2"].formula) == \
        "floor((H_1 + 2*P - F)/S) + 1"
    assert show("d2l", "h_o") == "floor((n_h + p_h - k_h)/s_h) + 1"
    assert dict(notate(d, "d2l")["h_o"].bindings)[sympy.Symbol("p_h")] == 2  # total padding
    assert show("dumoulin", "o_1") == "floor((i_1 + 2*p_1 - k_1)/s_1) + 1"
    assert show("keras", "H_out") == "floor((H_in + 2*P_h - K_h)/S_h) + 1"


def test_a_non_square_kernel_keeps_cs231n_unambiguous():
    d = conv_model(3, 1, 0, 8, 32).layers[0].derivation  # kernel (3, 4)
    params = notate(d, "cs231n")["params"]
    assert {s.name for s in params.formula.free_symbols} == {"D_1", "F_h", "F_w", "K"}
    # every line of the layer names the kernel as its parameters do, not F = 3, then F = 4
    for key, axis in (("H_2", "F_h"), ("W_2", "F_w")):
        assert axis in {s.name for s in notate(d, "cs231n")[key].formula.free_symbols}
    assert params.working.doit() == d["params"].value


@pytest.mark.parametrize("notation", NAMES)
def test_every_printer_takes_the_notation(notation):
    model = conv_model(3, 2, 1, 8, 32)
    for text in (model.to_latex(style="derivation", notation=notation),
                 model.to_markdown(style="derivation", math=True, notation=notation),
                 model.to_html(style="derivation", notation=notation)):
        assert "16" in text
    with pytest.raises(sc.SymcnnError, match="unknown preset"):
        model.to_latex(notation="bishop")


def _notes_model():
    return sc.Sequential([sc.Input((32, 32, 4)), sc.Conv2D(8, 3, groups=2),
                          sc.SeparableConv2D(8, 3), sc.DepthwiseConv2D(3),
                          sc.BatchNormalization(), sc.Flatten(), sc.Dense(3)])


@pytest.mark.parametrize("preset", [p for p in NOTATIONS if p != "keras"])
def test_notes_name_the_formula_symbols_in_the_preset(preset):
    """A note naming a formula symbol (C_in/G, C_in*K_h*K_w*M) is written in the preset's
    names: no name the preset renames is left in a note (a sheet mixed two notations)."""
    table = rename_table(preset)  # names the preset gives others (cs231n's F, K) excepted
    renamed = {k for k, v in table.items() if k != v} - set(table.values())
    word = re.compile(r"(?<![\w'])(" + "|".join(map(re.escape, renamed)) + r")(?![\w'])")
    notes = [n for r in _notes_model().layers for n in notate(r.derivation, preset).notes]
    assert any("/G" in n for n in notes) and any("depthwise" in n for n in notes)
    assert [n for n in notes if word.search(n)] == []


def test_a_cs231n_note_says_d_1_for_the_input_depth_and_f_for_the_kernel():
    layers = _notes_model().layers
    assert "each filter sees D_1/G of the input channels" in notate(
        layers[0].derivation, "cs231n").notes[0]
    assert "(D_1*F*F*M weights), then a pointwise one (D_1*M*K)" in notate(
        layers[1].derivation, "cs231n").notes[0]


@settings(max_examples=30)
@given(st.integers(1, 5), st.integers(1, 3), st.integers(0, 2), st.integers(1, 3),
       st.sampled_from([1, 2]), st.integers(40, 80))
def test_a_layer_with_one_spatial_axis_gives_the_same_value_in_every_notation(
        k, s, p, d, groups, size):
    """Conv1D names its axis without subscripts (K, S, P): each preset renames those too, and
    cs231n's F (the kernel) and K (the filters) stay two symbols, each with its own value."""
    model = sc.Sequential([sc.Input((size, 4)),
                           sc.Conv1D(8, k, strides=s, padding=p, groups=groups, name="c"),
                           sc.SeparableConv1D(4, k, dilation_rate=d, name="sep"),
                           sc.MaxPooling1D(2, padding="same", name="pool")])
    for record in model.layers:
        for notation in NAMES:
            for step, original in zip(notate(record.derivation, notation), record.derivation):
                if step.formula is not None:
                    assert sympy.expand(step.working.doit()) == original.value, notation
                    assert len({b for b, _ in step.bindings}) == len(step.bindings)


def test_a_conv1d_reads_as_each_textbooks_single_axis():
    d = sc.Sequential([sc.Input((32, 4)), sc.Conv1D(8, 3, strides=2, padding=1)]).layers[0] \
        .derivation
    show = lambda n, key: sympy.sstr(notate(d, n)[key].formula)  # noqa: E731
    assert show("cs231n", "W_2") == "floor((W_1 + 2*P - F)/S) + 1"
    assert show("cs231n", "params") == "D_1*F*K + K"
    assert show("d2l", "w_o") == "floor((n_w + p_w - k_w)/s_w) + 1"
    assert dict(notate(d, "d2l")["w_o"].bindings)[sympy.Symbol("p_w")] == 2  # total padding
    assert show("dumoulin", "o") == "floor((i + 2*p - k)/s) + 1"
    assert show("keras", "L_out") == "floor((L_in + 2*P - K)/S) + 1"


def test_an_embeddings_d_is_not_a_dilation_in_any_notation():
    """An Embedding keeps ``D``, its width, in every notation (``V*D``, ``D_out = D``): the
    name the transformer literature gives it, which no window takes. A dilation that would
    read as a bare ``D`` (Keras' Conv1D, any cs231n convolution, where ``D_1`` and ``D_2``
    are also the depth in and out) reads ``D'``; the others have their own (``D_h``,
    ``d_h``, ``d``). Its ``D_out`` is its width, never a volume's depth axis (cs231n's
    ``T_2``, d2l's ``d_o``, Dumoulin's ``o_3``)."""
    model = sc.Sequential([sc.Input((30,)), sc.Embedding(100, 16, name="emb"),
                           sc.Conv1D(8, 3, dilation_rate=2, name="c1"),
                           sc.Reshape((26, 8, 1), name="rs"),
                           sc.Conv2D(4, 3, dilation_rate=2, name="c2")])
    d = model.layers[0].derivation
    for notation in NAMES:
        assert notate(d, notation)["params"].formula == d["params"].formula
        assert [(s.key, s.formula) for s in notate(d, notation)] == \
            [(s.key, s.formula) for s in d]
        for i in (1, 3):
            dilations = {new for old, new in shown_names(model.layers[i].derivation, notation)
                         if old in ("D", "D_h", "D_w")}
            assert dilations and "D" not in dilations, (notation, dilations)


@pytest.mark.parametrize("notation", NAMES)
def test_a_flatten_after_a_one_axis_layer_names_the_length_as_that_layer_does(notation):
    model = sc.Sequential([sc.Input(("L", 3)), sc.Conv1D(8, 3), sc.Flatten(), sc.Dense(4)])
    conv, flat = (notate(model.layers[i].derivation, notation) for i in (0, 1))
    length = next(s for s in conv.steps[0].formula.free_symbols  # the input length's name
                  if dict(conv.steps[0].bindings)[s] == sc.symbols("L"))
    assert length in flat.steps[0].formula.free_symbols  # cs231n W_1 on both, not L_in
