"""``sc.exercises.generate(..., notation=...)``: an exercise in a lecture's names.

The question, the prose, the formulas and the answer of an exercise name every symbol as
the preset does, each as the printers show it for the exercise's own layers
(:func:`shown_names`, never a list typed in here); no name on an exercise stands for two
things; and the models and the numbers are those of symcnn's own notation.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest
import sympy

import symcnn as sc
from symcnn.render.exprs import latex_printer
from symcnn.render.latex import compile_pdf
from symcnn.render.notation import NOTATIONS, shown_names
from symcnn.teach.exercises import answer_text

from ..render.test_notation_clashes import _clashes, _numbered_beside_their_letter, _page

TOPICS = list(sc.exercises.TOPICS)
PRESETS = list(NOTATIONS)

#: A layer call in a question (code, Keras' own arguments): not a formula's names.
CALL = re.compile(r"[A-Z]\w*\((?:[^()]|\([^()]*\))*\)")
#: A word that reads as a symbol: a letter, primes, a subscript (``P``, ``K_h``, ``D'``,
#: ``N'_1``, ``r_{i-1}``); a layer's name in parentheses (``conv2d_1 (Conv2D)``) is none.
SYMBOL = re.compile(r"(?<![\w'])[A-Za-z]'*(?:_(?:[A-Za-z0-9]+|\{[^{}\s]+\}))?(?![\w'{(])")
#: English words of one letter.
ARTICLES = {"a", "A"}
#: The receptive field's own names, which its first line defines (``r_0 = 1``, ``j_0 = 1``):
#: the field and the jump after the i-th layer.
FIELD_AND_JUMP = re.compile(r"[rj]_(?:\d+|i|\{i-1\})")


def _dilated_conv():
    """A page with every window argument of a convolution on it: a dilated, 'valid' Conv2D
    (a 'same' layer's formula shows no kernel and no dilation)."""
    return sc.Sequential([sc.Input((9, 9, 1)), sc.Conv2D(1, 3, dilation_rate=2)])


def _text(x) -> str:
    """Everything an exercise shows: question, answer, worked solution, the labels of the
    numbers asked."""
    return "\n".join([x.question, answer_text(x), str(x.solution),
                      *(label for label, _ in x.numerical)])


def _symbols(text: str) -> set:
    return {w for w in SYMBOL.findall(CALL.sub("", text)) if w not in ARTICLES}


def _allowed(x, preset) -> set:
    """The names the exercise may show: those the preset gives its layers' symbols (and a
    convolution's window arguments, which a 'same' layer's formula leaves out), and its
    model's own symbols."""
    names = {s.name for s in x.model.free_symbols}
    for record in [*x.model.layers, *_dilated_conv().layers]:
        names |= {new for _, new in shown_names(record.derivation, preset)}
    return names


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("topic", TOPICS)
def test_every_symbol_an_exercise_names_is_one_its_notation_shows(topic, preset):
    for x in sc.exercises.generate(topic, n=6, seed=3, notation=preset):
        assert x.notation == preset
        extra = {w for w in _symbols(_text(x)) - _allowed(x, preset)
                 if not (topic == "receptive_field" and FIELD_AND_JUMP.fullmatch(w))}
        assert extra == set(), (x.question, extra)


@pytest.mark.parametrize("preset", [p for p in PRESETS if p != "keras"])
@pytest.mark.parametrize("topic", TOPICS)
def test_no_name_symcnn_gives_a_renamed_symbol_is_left_in_the_text(topic, preset):
    """A symbol the preset renames is never shown by symcnn's name (``K_h``, ``H_in`` in
    cs231n): the prose and the formulas beside the derivation speak one notation."""
    pairs = {pair for record in _dilated_conv().layers
             for pair in shown_names(record.derivation, preset)}
    # symcnn's names the preset renames, but for those it gives another symbol (cs231n's F)
    renamed = {old for old, new in pairs if old != new} - {new for _, new in pairs}
    for x in sc.exercises.generate(topic, n=6, seed=3, notation=preset):
        mine = {s.name for s in x.model.free_symbols}  # an exercise's own sizes (n, C)
        assert _symbols(_text(x)) & (renamed - mine) == set(), x.question


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("topic", TOPICS)
def test_no_name_on_an_exercise_stands_for_two_things(topic, preset):
    """The exercise's layers and its model's own symbols, as the clash guard of the printers
    checks a page: cs231n's F is the kernel, so the scaling exercise's filters are K."""
    for x in sc.exercises.generate(topic, n=6, seed=3, notation=preset):
        shown, equal = _page(x.model, preset)
        assert _clashes(shown, equal) == {}, x.question
        assert _numbered_beside_their_letter(shown, preset) == {}, x.question


def _renamed_back(x, keras):
    """``x``'s model symbols named as in ``keras`` (the same exercise in symcnn's names),
    matched by their place in the input shape and the layer's call."""
    mine, theirs = x.model.input_shape, keras.model.input_shape
    table = {a: b for a, b in zip(mine, theirs) if isinstance(a, sympy.Symbol)}
    table.update({a: b for a, b in zip(x.model.free_symbols - set(table),
                                       keras.model.free_symbols - set(table.values()))})
    return table


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("topic", TOPICS)
def test_a_notation_changes_names_only_never_a_number(topic, preset):
    """The same seed gives the same models and answers in every notation: the numbers a
    student enters, the shapes and counts, and (the scaling topic's model named in the
    preset) the closed forms once named back."""
    keras = sc.exercises.generate(topic, n=6, seed=4)
    mine = sc.exercises.generate(topic, n=6, seed=4, notation=preset)
    for x, k in zip(mine, keras, strict=True):
        table = _renamed_back(x, k)
        assert sympy.sympify(x.answer if not isinstance(x.answer, tuple) else 0).xreplace(
            table) == sympy.sympify(k.answer if not isinstance(k.answer, tuple) else 0)
        if isinstance(k.answer, tuple):
            assert x.answer == k.answer
        assert [(v if not isinstance(v, sympy.Basic) else v.xreplace(table))
                for _, v in x.numerical] == [v for _, v in k.numerical]
        assert sympy.expand(x.model.params.xreplace(table) - k.model.params) == 0
        assert sympy.expand(x.model.macs.xreplace(table) - k.model.macs) == 0
        assert [r.output_shape for r in x.model.layers] == \
            [tuple(sympy.sympify(v).xreplace({b: a for a, b in table.items()})
                   for v in r.output_shape) for r in k.model.layers]


@pytest.mark.parametrize("preset", PRESETS)
def test_the_padding_exercise_names_the_padding_as_the_layers_formula_does(preset):
    """The padding solved for is the layer's own (P_h and P_w, cs231n's P, Dumoulin's p_1
    and p_2); d2l's p_h is both sides' padding, twice the answer, which stays per side."""
    for x in sc.exercises.generate("padding_for_same", n=6, seed=1, notation=preset):
        names = dict(shown_names(x.model.layers[0].derivation, preset))
        ph, pw = names["P_h"], names["P_w"]
        first, second, third = x.solution.lines[:3]
        assert {s.name for s in first.math[1].free_symbols} <= set(names.values())
        padded = x.model.layers[0].layer.padding[0][0]
        assert padded == x.answer
        total = NOTATIONS[preset][1]
        assert second.math[-1] == 2 * x.answer
        assert sympy.sstr(second.math[0]) == (ph if total else f"2*{ph}")
        shown = 2 * x.answer if total else x.answer
        equal = f"{ph} = {pw} = {shown}" if ph != pw else f"{ph} = {shown}"
        assert third.text.startswith(f"so {equal}")


@pytest.mark.parametrize("preset", PRESETS)
def test_the_receptive_field_prose_names_kernel_and_stride_as_a_convolution_shows_them(preset):
    names = dict(shown_names(_dilated_conv().layers[0].derivation, preset))
    seen = set()
    for x in sc.exercises.generate("receptive_field", n=10, seed=1, notation=preset):
        first = x.solution.lines[0].text
        dilated = any(getattr(r.layer, "dilation_rate", (1,))[0] != 1 for r in x.model.layers)
        words = (f"kernel {names['K_h']}, dilation {names['D_h']} and stride {names['S_h']}"
                 if dilated else f"kernel {names['K_h']} and stride {names['S_h']}")
        assert words in first, first
        seen.add(dilated)
    assert seen == {True, False}


def test_an_unknown_preset_is_refused_as_the_printers_refuse_it():
    model = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3)])
    for bad in ("bishop", None, ["cs231n"], 3):
        with pytest.raises(sc.SymcnnError) as printer:
            model.to_latex(notation=bad)
        with pytest.raises(sc.SymcnnError) as exercise:
            sc.exercises.generate("params", n=1, notation=bad)
        assert str(exercise.value) == str(printer.value)
        assert "unknown preset" in str(exercise.value) and "cs231n" in str(exercise.value)


@pytest.mark.parametrize("preset", PRESETS)
def test_a_latex_sheet_in_each_notation_sets_the_prose_symbols_as_math_and_compiles(
        preset, tmp_path):
    items = [x for topic in TOPICS
             for x in sc.exercises.generate(topic, n=2, seed=1, notation=preset)]
    tex = sc.exercises.sheet(items, format="latex", solutions=True)
    # outside math, code and displays no symbol is left as escaped text (K\_h, n\_h)
    prose = re.sub(r"\$[^$]*\$|\\texttt\{[^}]*\}|\\\[.*?\\\]", "", tex, flags=re.S)
    assert re.findall(r".{0,30}(?<![\w\\])[A-Za-z]'*\\_[A-Za-z0-9].{0,30}", prose) == []
    names = dict(shown_names(_dilated_conv().layers[0].derivation, preset))
    kernel = latex_printer()._print(sympy.Symbol(names["K_h"]))
    assert f"kernel ${kernel}$" in tex  # the receptive field's prose, a letter too (F)
    assert r"$\to$ \texttt{MaxPooling2D(" in tex and "\t" not in tex  # the arrows too
    if shutil.which("pdflatex") is None:
        if os.environ.get("CI"):
            pytest.fail("pdflatex is missing in CI (.ci/run installs texlive)")
        pytest.skip("pdflatex is not installed")
    compile_pdf(tex, tmp_path, "sheet")
    log = (tmp_path / "sheet.log").read_text(encoding="latin-1")
    overfull = [float(v) for v in re.findall(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide", log)]
    assert all(v <= 5 for v in overfull), overfull
