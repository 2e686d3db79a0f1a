"""The printers show every output of a layer with several,
``assume_divisible`` on the cost columns too, a Repeat's sum as on paper (plain index, its
term in the sizes of repetition t, typeset and fitting as the other values), one meaning per
letter on a page, and notes that agree with their formulas (and with Keras)."""

from __future__ import annotations

import os
import re
import shutil

os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest  # noqa: E402
import sympy  # noqa: E402

import symcnn as sc  # noqa: E402
from symcnn.render.exprs import display_form, show_latex  # noqa: E402
from symcnn.render.html import MathML, math  # noqa: E402
from symcnn.render.latex import compile_pdf  # noqa: E402

keras = pytest.importorskip("keras")

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is needed")


# --------------------------------------------------------------- 1. several outputs


def _several_outputs(which: str, steps: int = 5):
    """The symcnn model and Keras' output shapes (batch axis dropped) of one layer."""
    if which == "lstm":
        ours = sc.LSTM(8, return_state=True, return_sequences=True)
        theirs = keras.layers.LSTM(8, return_state=True, return_sequences=True)
    else:
        ours = sc.Bidirectional(sc.LSTM(8, return_state=True), merge_mode=None)
        theirs = keras.layers.Bidirectional(keras.layers.LSTM(8, return_state=True),
                                            merge_mode=None)
    x = sc.Input((steps, 16))
    model = sc.Model(x, ours(x))
    k = keras.Input((steps, 16))
    outs = theirs(k)
    return model, [tuple(o.shape[1:]) for o in outs]


@pytest.mark.parametrize("which", ["lstm", "bidirectional"])
def test_every_printer_shows_every_output_of_a_layer(which):
    model, expected = _several_outputs(which)
    record = model.layers[-1]
    assert len(expected) > 1 and record.output_shape == expected  # Keras: 3, and 6
    derivation = record.derivation
    assert derivation.output_shape == expected
    listed = sc.format_shape(expected)
    assert f"output {listed}" in str(derivation)
    row = next(line for line in model.to_markdown().splitlines() if f"`{record.name}`" in line)
    assert listed in row
    assert f"output {listed}" in model.to_markdown(style="derivation")
    for style in ("table", "derivation"):
        tex = model.to_latex(style=style)
        line = next(line for line in tex.splitlines() if rf"\texttt{{{record.name}}}" in line)
        assert line.count("(8,)") == sum(s == (8,) for s in expected), line
    for style in ("table", "derivation"):
        page = model.to_html(style=style)
        part = page[page.index(f"<code>{record.name}</code>"):]
        part = part[:part.index("</tr>" if style == "table" else "</p>")]
        assert part.count("<math") >= len(expected), part


# --------------------------------------------------------------- 2. assume_divisible


def _strided(h="H", w="W"):
    return sc.Sequential([sc.Input((h, w, 3)), sc.Conv2D(8, 3, strides=2, padding="same"),
                          sc.Conv2D(4, 3, strides=2, padding="same"), sc.Flatten()])


def _keras_macs(h: int, w: int) -> int:
    """MACs of the same convolutions, from Keras' output shapes: out_h*out_w*k*k*c_in*f."""
    total, shape = 0, (None, h, w, 3)
    for filters in (8, 4):
        conv = keras.layers.Conv2D(filters, 3, strides=2, padding="same")
        out = conv.compute_output_shape(shape)
        total += out[1] * out[2] * 9 * shape[3] * filters
        shape = out
    return total


def test_assume_divisible_rewrites_the_cost_columns_and_their_totals_exactly():
    model = _strided()
    columns = ["layer", "output_shape", "params", "macs", "flops"]
    md = model.to_markdown(assume_divisible={"H": 4, "W": 4}, columns=columns)
    assert "ceiling" not in md, md
    assert "every value is exact under this assumption" in md
    tex = model.to_latex(assume_divisible={"H": 4, "W": 4}, columns=columns)
    assert r"\lceil" not in tex, tex
    page = model.to_html(assume_divisible={"H": 4, "W": 4}, columns=columns)
    assert "\u2308" not in page
    total = next(line for line in md.splitlines() if "Total MACs" in line)
    value = sc.parse_expression(total.split("`")[1], declare=True)
    for h, w in [(32, 32), (64, 128), (4, 12)]:  # multiples of 4: exact
        at = {"H": h, "W": w}
        assert value.subs({s: at[s.name] for s in value.free_symbols}) == _keras_macs(h, w)


# --------------------------------------------------------------- 3, 4. a Repeat's sum


def _repeated():
    return sc.Sequential([sc.Input(("H", "W", 3)),
                          sc.Repeat(sc.Conv2D(16, 3, strides=2, padding="same"), "M"),
                          sc.GlobalAveragePooling2D(), sc.Dense(10)])


def _keras_repeated_macs(h: int, w: int, m: int) -> int:
    total, shape = 0, (None, h, w, 3)
    for _ in range(m):
        out = keras.layers.Conv2D(16, 3, strides=2, padding="same").compute_output_shape(shape)
        total += out[1] * out[2] * 9 * shape[3] * 16
        shape = out
    return total + 16 * 10


def test_a_repeats_sum_has_a_plain_index_and_its_values_are_kept():
    model = _repeated()
    text = sc.show(model.macs)
    assert "_t" not in text and "-1 + M" not in text and "Dummy" not in text, text
    assert "Sum(2304*ceiling(H/2**t)*ceiling(W/2**t), (t, 2, M))" in text
    for shown in (model.summary_text(columns=["layer", "output_shape", "macs"]),
                  model.to_markdown(columns=["layer", "macs"])):
        assert "_t" not in shown and "-1 + M" not in shown
    assert r"\sum_{t=2}^{M}" in model.to_latex(columns=["layer", "macs"])
    for h, w, m in [(64, 64, 3), (37, 50, 1), (100, 9, 5), (64, 64, 2), (5, 5, 4)]:
        assert model.subs(H=h, W=w, M=m).macs == _keras_repeated_macs(h, w, m)


def test_a_sum_named_like_a_symbol_of_its_own_takes_another_index():
    model = sc.Sequential([sc.Input(("t", "W", 3)),
                           sc.Repeat(sc.Conv2D(16, 3, strides=2, padding="same"), "M")])
    (total,) = model.macs.atoms(sympy.Sum)
    assert total.limits[0][0].name != "t" and total.limits[0][0].name.isidentifier()
    assert model.subs(t=40, W=40, M=3).macs == _keras_repeated_macs(40, 40, 3) - 160


def test_mathml_shows_a_product_of_two_numerals_with_a_visible_times():
    t, H = sympy.symbols("t H", integer=True, positive=True)
    text = math(MathML()._print(display_form(sympy.ceiling(H / (2 * 2**t)))))
    assert "<mn>2</mn><mo>\u00b7</mo><msup><mn>2</mn>" in text, text  # not 2 2^t, "22^t"
    assert "<mn>3</mn><mo>\u2062</mo><mi>H</mi>" in math(MathML()._print(3 * H))


def _two_repeats():
    return sc.Sequential([sc.Input(("H", "W", 3)), sc.Repeat(sc.Conv2D(16, 3), "L"),
                          sc.Repeat(sc.Conv2D(16, 3, strides=2, padding="same"), "M"),
                          sc.GlobalAveragePooling2D(), sc.Dense(10)])


def test_a_sums_term_is_laid_out_as_every_other_value():
    model = _two_repeats()
    assert "Sum(2304*ceiling((H - 2*L)/2**t)*ceiling((W - 2*L)/2**t), (t, 1, M))" in \
        sc.show(model.layers[1].macs)
    tex = model.to_latex(columns=["layer", "macs"])
    row = next(line for line in tex.splitlines() if r"\texttt{repeat\_1}" in line)
    assert r"\sum_{t=1}^{M} 2{,}304 \left\lceil{\frac{H - 2 L}{2^{t}}}\right\rceil" in row, row
    # outside a table's value SymPy's digits, as show_latex gives every other integer
    assert show_latex(model.layers[1].macs).startswith(r"\sum_{t=1}^{M} 2304 ")


@needs_tex
def test_a_latex_table_with_a_repeats_sum_fits_the_page(tmp_path):
    tex = _two_repeats().to_latex(columns=["layer", "type", "output_shape", "macs", "flops"],
                                  standalone=True)
    compile_pdf(tex, tmp_path, "sums")
    log = (tmp_path / "sums.log").read_text(errors="replace")
    over = [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide", log)]
    assert max(over, default=0) <= 5, over


# --------------------------------------------------------------- 5. one meaning per letter


@pytest.mark.parametrize("notation", ["keras", "cs231n", "d2l", "dumoulin"])
def test_a_reshape_and_a_repeat_do_not_share_a_letter(notation):
    model = sc.Sequential([sc.Input((8, 8, 16)), sc.Reshape((-1, 16)),
                           sc.Repeat(sc.Dense(16), "L")])
    from symcnn.render.notation import shown_names

    reshape, repeat = (shown_names(r.derivation, notation) for r in model.layers[:2])
    ours = {shown for _, shown in reshape} - {"N_out", "n_o", "N_2"}
    theirs = {shown for _, shown in repeat} - {"params"}
    assert not ours & theirs, (ours, theirs)
    page = model.to_markdown(style="derivation", notation=notation)
    assert "count R times" in page and "R*P_block" in page  # the note names the formula's
    assert "T" not in {shown for _, shown in reshape | repeat}


def test_a_sequence_and_a_repeat_keep_their_letters_apart():
    model = sc.Sequential([sc.Input((10, 16)), sc.LSTM(16, return_sequences=True),
                           sc.Repeat(sc.Dense(16), "L")])
    lstm, repeat = (str(r.derivation) for r in model.layers)
    assert "T_out = T = 10" in lstm
    assert "R*P_block" in repeat and not re.search(r"(?<![\w'])T(?![\w'])", repeat), repeat


# --------------------------------------------------------------- 6. notes


@pytest.mark.parametrize("reset_after", [True, False])
def test_a_grus_note_counts_the_biases_keras_builds(reset_after):
    layer = keras.layers.GRU(4, reset_after=reset_after)
    layer.build((None, 3, 5))
    bias = next(w for w in layer.weights if w.path.endswith("bias"))
    per_gate = bias.shape[0] if len(bias.shape) == 2 else 1  # (2, 3U) or (3U,)
    model = sc.Sequential([sc.Input((3, 5)), sc.GRU(4, reset_after=reset_after)])
    (note,) = model.layers[0].derivation.notes
    assert (f"and {per_gate} biases" in note) if per_gate > 1 else ("and a bias per" in note)
    assert model.params == layer.count_params()


@pytest.mark.parametrize("make_ours, make_theirs", [
    (lambda: sc.Embedding(100, 8, lora_rank=2), lambda: keras.layers.Embedding(100, 8, lora_rank=2)),
    (lambda: sc.Dense(8, lora_rank=2), lambda: keras.layers.Dense(8, lora_rank=2)),
    (lambda: sc.Dense(8, lora_rank=2, use_bias=False),
     lambda: keras.layers.Dense(8, lora_rank=2, use_bias=False)),
])
def test_a_lora_note_names_a_bias_only_where_keras_builds_one(make_ours, make_theirs):
    theirs = make_theirs()
    theirs.build((None, 5))
    has_bias = any(w.path.endswith("bias") for w in theirs.weights)
    model = sc.Sequential([sc.Input((5,)), make_ours()])
    note = next(n for n in model.layers[0].derivation.notes if "lora_rank" in n)
    assert ("bias" in note) == has_bias, note
    assert model.params == theirs.count_params()


@pytest.mark.parametrize("mode", [None, "concat"])
def test_merge_mode_is_set_as_code_whatever_its_value(mode):
    x = sc.Input((5, 16))
    model = sc.Model(x, sc.Bidirectional(sc.LSTM(8), merge_mode=mode)(x))
    md = model.to_markdown(style="derivation")
    assert f"`merge_mode={mode!r}`" in md, md
    tex = model.to_latex(style="derivation")
    quoted = repr(mode).replace("'", r"\textquotesingle{}")  # a straight quote in code
    assert rf"\texttt{{merge\_mode={quoted}}}" in tex, tex
