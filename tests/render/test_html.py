"""HTML pages with MathML: self-contained (no script, nothing fetched), rendered by headless
Chromium in the test; Jupyter's rich displays of models and records agree."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from xml.dom import minidom

import pytest

import symcnn as sc
from symcnn.render.html import MathML, math

H, W, w = sc.symbols("H W w")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def issue_model():
    return sc.Sequential([
        sc.Input((H, W, 3)), sc.Conv2D(8 * w, 3), sc.MaxPooling2D(2),
        sc.Conv2D(16 * w, 3, strides=2), sc.MaxPooling2D(2), sc.Flatten(), sc.Dense(10),
    ], name="issue")


@pytest.mark.parametrize("style", ["table", "derivation"])
def test_a_page_is_self_contained_and_well_formed(style):
    page = issue_model().to_html(style=style)
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=|@import|url\(""", page)
    body = page.split("<body>", 1)[1].split("</body>")[0]
    minidom.parseString(f"<body>{body}</body>")  # well-formed (MathML is XML)
    assert body.count("<math") > 10 and "Total params" in body
    assert "floor(H/8 + 1/2)" not in page


def test_jupyter_shows_models_and_records_richly_and_consistently():
    model = sc.zoo.textbook.cifar()
    fragment = model._repr_html_()
    assert fragment.startswith('<div class="symcnn-model">') and "<html" not in fragment
    assert "1,580,976" in fragment and r"1{,}580{,}976" in model._repr_latex_()
    record = model.get_layer("conv2d")
    assert "<math" in record._repr_html_() and "1,792" in record._repr_html_()
    assert r"1{,}792" in record._repr_latex_()


def _chromium(args, timeout=90):
    home = tempfile.mkdtemp()
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={home}", *args],
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "HOME": home})


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="chromium is not installed (.ci/run installs it)")
@pytest.mark.parametrize("style", ["table", "derivation"])
def test_headless_chromium_renders_the_page(style, tmp_path):
    page = tmp_path / "model.html"
    page.write_text(issue_model().to_html(style=style), encoding="utf-8")
    shot = tmp_path / "shot.png"
    _chromium([f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri()])
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    dom = _chromium(["--dump-dom", page.as_uri()]).stdout
    assert "Total params" in dom and "<math" in dom
    image = pytest.importorskip("PIL.Image").open(shot).convert("L")  # Pillow (matplotlib's)
    dark = sum(image.histogram()[:128])  # pixels darker than mid-grey
    assert dark > 2000  # text and rules were drawn, not a blank page


def test_count_columns_and_their_totals_are_mathml_in_their_own_column():
    page = sc.zoo.textbook.cifar((H, W, 3)).to_html(columns=["layer", "params", "macs"])
    assert "floor(" not in page and "*" not in page.split("<table>")[1]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", page.split("<tbody>")[1])
    total_params = next(r for r in rows if "Total params" in r)
    total_macs = next(r for r in rows if "Total MACs" in r)
    # params under Parameters (the middle column), MACs under MACs (the last)
    assert re.fullmatch(r'<td colspan="1">Total params</td><td class="num">.*</td>'
                        r'<td colspan="1"></td>', total_params)
    assert re.fullmatch(r'<td colspan="2">Total MACs</td><td class="num">.*</td>', total_macs)
    assert "<mn>1,728</mn>" in total_macs  # grouped as in LaTeX


def test_a_long_sum_is_one_math_element_per_term_so_that_it_wraps():
    alpha = sc.multiplier("alpha")
    page = sc.zoo.mobilenet_v2(alpha=alpha).to_html(columns=["layer", "params"])
    total = next(r for r in re.findall(r"<tr[^>]*>(.*?)</tr>", page) if "Total params" in r)
    terms = re.findall(r"<math[^>]*>.*?</math>", total)
    assert len(terms) > 10 and '<span class="terms">' in total
    for before, piece in zip(terms, terms[1:]):  # each term with its sign; a long term
        assert re.search(r"<mo( form=\"infix\")?>[+\u2212]</mo>", piece) or \
            re.search(r"<mo>(\u2062|·)</mo></mrow></math>$", before)  # cut after a product
    # a coefficient is set apart from the function's name (where a call is written out)
    steps = math(MathML()._print(6 * sc.zoo.make_divisible(16 * alpha, 8)))
    assert re.search('<mn>\\d+</mn><mo>\u2062</mo><mrow><mspace width="0.17em"/>'
                     '<mi mathvariant="normal">make_divisible</mi>', steps)


def _table_widths(page: str, tmp_path, window: int) -> tuple:
    """``(scrollWidth, clientWidth)`` of the page's table in Chromium at ``window`` pixels."""
    probe = ("<script>document.addEventListener('DOMContentLoaded', () => {"
             "const s = document.querySelector('div.scroll');"
             "document.body.setAttribute('data-widths', s.scrollWidth + ' ' + s.clientWidth);"
             "});</script>")
    path = tmp_path / "model.html"
    path.write_text(page.replace("</head>", probe + "</head>"), encoding="utf-8")
    dom = _chromium([f"--window-size={window},1400", "--dump-dom", path.as_uri()]).stdout
    return tuple(map(int, re.search(r'data-widths="(\d+) (\d+)"', dom).groups()))


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="chromium is not installed (.ci/run installs it)")
def test_long_totals_wrap_inside_the_page_in_chromium(tmp_path):
    page = sc.zoo.textbook.cifar((H, W, 3)).to_html(columns=["layer", "output_shape",
                                                              "params", "macs"])
    scroll, client = _table_widths(page, tmp_path, 1000)
    assert scroll <= client  # the Total MACs line wraps between terms: nothing to scroll


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="chromium is not installed (.ci/run installs it)")
def test_a_long_product_of_sums_wraps_inside_the_page_in_chromium(tmp_path):
    """EfficientNet with symbolic coefficients: a Repeat's parameters, (ceiling(d) - 1)
    times a long sum, were one <math> element that pushed the Parameters column off the
    page at any window width; the sum inside the parentheses and long products now wrap."""
    page = sc.zoo.efficientnet_b0(width_coefficient="w", depth_coefficient="d").to_html()
    scroll, client = _table_widths(page, tmp_path, 1200)
    assert scroll <= client
    assert re.search(r"make_divisible</mi><mrow><mo[^>]*>\(</mo>", page)  # never cut inside


def test_derivation_notes_are_marked_up_as_in_latex():
    page = sc.zoo.textbook.cifar().to_html(style="derivation")
    assert "With <code>padding='same'</code> the output is <i>⌈input/stride⌉</i>" in page
    assert "ceiling(input/stride)" not in page


def test_a_repeat_shows_its_layer_blocks_arguments():
    L = sc.symbols("L")
    text = repr(sc.Repeat(sc.Conv2D(16, 3, padding="same"), L))
    assert text.startswith("Repeat(block=Conv2D(filters=16, kernel_size=(3, 3),")
    assert text.endswith("times=L)")


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="chromium is not installed (.ci/run installs it)")
def test_long_derivation_steps_wrap_inside_an_800_px_window_in_chromium(tmp_path):
    """EfficientNet with symbolic coefficients: a Repeat's ``params = T·P_block = ...`` ran
    2,100 px past a 1,280 px window (LaTeX wraps it); a long step is now set on lines, as
    LaTeX sets it, that wrap between terms."""
    model = sc.zoo.efficientnet_b0(width_coefficient=sc.multiplier("w"),
                                   depth_coefficient=sc.multiplier("d"))
    page = model.to_html(style="derivation")
    assert '<div class="step lines">' in page
    probe = ("<script>document.addEventListener('DOMContentLoaded', () => {"
             "const over = [...document.querySelectorAll('div.step')].map("
             "s => s.scrollWidth - s.clientWidth).filter(x => x > 1);"
             "document.body.setAttribute('data-over', over.length + ' ' + Math.max(0, ...over));"
             "});</script>")
    path = tmp_path / "model.html"
    path.write_text(page.replace("</head>", probe + "</head>"), encoding="utf-8")
    dom = _chromium(["--window-size=800,1400", "--dump-dom", path.as_uri()]).stdout
    assert re.search(r'data-over="(\d+) (\d+)"', dom).groups() == ("0", "0")


def test_a_nested_block_reads_as_a_sum_of_its_layers_in_html():
    page = sc.zoo.convnext_tiny(input_shape=(224, 224, 3)).to_html(style="derivation")
    assert "derivation_for" not in page and "no formula" not in page
    assert "layernorm, a LayerNormalization (<i>P</i><sub>2</sub>)" in page


def test_a_per_axis_size_sets_its_axis_and_its_label_apart_by_a_comma_in_html():
    """``N1_out`` had its subscript's parts apart by a blank (``1 out``), as LaTeX's
    ``N_{1 \\mathrm{out}}`` read "1out"; both now read "1,out"."""
    x = sc.Input((57, 56, 96))
    model = sc.Model(x, sc.nn.PadToMultiple((2, 2), axes=(0, 1))(x))
    page = model.to_html(style="derivation")
    assert "<msub><mi>N</mi><mrow><mi>1</mi><mo>,</mo><mi>out</mi></mrow></msub>" in page
    assert "<mo> </mo>" not in page


MULTIPLIER_MODELS = {
    "mobilenet_v2": lambda: sc.zoo.mobilenet_v2(alpha=sc.multiplier("a")),
    "mobilenet_v3_small": lambda: sc.zoo.mobilenet_v3_small(alpha=sc.multiplier("a")),
    "efficientnet_b0": lambda: sc.zoo.efficientnet_b0(width_coefficient=sc.multiplier("w")),
}


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="chromium is not installed (.ci/run installs it)")
@pytest.mark.parametrize("name", MULTIPLIER_MODELS)
def test_a_table_of_a_multiplier_width_model_fits_an_800_px_window_in_chromium(name, tmp_path):
    """The tables of these models ran 254 to 387 px past an 800 px window: each
    ``make_divisible`` call written out in shapes and counts, names that could not break,
    and a 2,700 px total that set the Parameters column's width."""
    page = MULTIPLIER_MODELS[name]().to_html(style="table", standalone=True)
    for window in (800, 1280):
        scroll, client = _table_widths(page, tmp_path, window)
        assert scroll <= client, f"{scroll - client} px to scroll at {window} px"


def test_a_table_names_each_make_divisible_call_once_in_a_note_as_in_latex():
    page = sc.zoo.mobilenet_v3_small(alpha=sc.multiplier("a")).to_html()
    table, notes = page.split("</table>")
    assert "make_divisible" not in table
    assert "<msub><mi>c</mi><mi>16</mi></msub>" in table  # c_16 for make_divisible(16 a, 8)
    note = next(p for p in notes.split("<p") if "where" in p)
    assert ('<msub><mi>c</mi><mi>16</mi></msub><mo>=</mo><mrow><mspace width="0.17em"/>'
            '<mi mathvariant="normal">make_divisible</mi>') in note
    assert "rounds" in note and "to the nearest multiple of" in note
    used = set(re.findall(r"<msub><mi>c</mi><mi>(\d+)</mi></msub>", table))
    defined = set(re.findall(r"<msub><mi>c</mi><mi>(\d+)</mi></msub><mo>=</mo>", note))
    assert used == defined  # every name in the table is defined under it, once
    assert "make_divisible" in sc.zoo.mobilenet_v3_small(alpha=sc.multiplier("a")).to_html(
        style="derivation")  # a derivation writes its calls out, as in LaTeX


def test_long_layer_names_and_types_may_break_in_a_table_short_ones_stay_whole():
    page = sc.zoo.mobilenet_v3_small(alpha=sc.multiplier("a")).to_html()
    assert "<code>block_<wbr/>0_<wbr/>depthwise_<wbr/>relu</code>" in page
    assert "<td>Global<wbr/>Average<wbr/>Pooling2D</td>" in page
    assert "<td>Depthwise<wbr/>Conv2D</td>" in page  # never Conv2 / D
    assert "<code>stem_bn</code>" in page and "<td>Conv2D</td>" in page


def test_a_long_total_wraps_in_its_column_and_does_not_set_its_width():
    page = sc.zoo.mobilenet_v3_small(alpha=sc.multiplier("a")).to_html()
    total = next(r for r in re.findall(r"<tr[^>]*>(.*?)</tr>", page) if "Total params" in r)
    assert '<td class="num"><div class="total"><span class="terms">' in total
    assert "div.total { width: 0; min-width: 100%; }" in page


def test_every_minus_is_the_minus_sign_never_a_hyphen():
    """SymPy's printer writes ``<mo>-</mo>``, which browsers show as a short hyphen: the
    shapes read ``D - 4`` beside the working's ``P − D``."""
    model = sc.Sequential([sc.Input(("D", "H", "W", 3)), sc.Conv3D(8, 3, dilation_rate=2),
                           sc.MaxPooling3D(2), sc.Flatten(), sc.Dense(10)])
    for style in ("table", "derivation"):
        page = model.to_html(style=style)
        minus = re.findall(r"<mo(?: [^>]*)?>([-\u2212])</mo>", page)
        assert minus and set(minus) == {"\u2212"}, style


def test_a_primed_name_is_an_italic_letter_and_a_prime_as_in_latex():
    """An ``<mi>D'</mi>`` (two characters) is set upright by browsers, beside italic ``D``."""
    model = sc.Sequential([sc.Input(("D", "H", "W", 3)), sc.Conv3D(8, 3, dilation_rate=2)])
    page = model.to_html(style="derivation", notation="cs231n")  # the dilation beside depth D
    assert "D'" not in page and "<mi>D</mi><mo lspace=\"0\" rspace=\"0\">\u2032</mo>" in page


def test_brackets_stretch_only_around_fractions():
    """Chromium sets a stretchy bracket apart from what it encloses (``( U, )``, ``( L − 1
    )``): brackets of one line's height are not stretchy; those around a fraction are."""
    H, W, D, L = sc.symbols("H W D L")
    conv = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 3, strides=2, padding=1)])
    page = conv.to_html(style="derivation")
    assert '<mo stretchy="false">(</mo><mi>H</mi><mo>,</mo><mi>W</mi>' in page
    assert "<mo>⌊</mo><mfrac>" in page and '<mo stretchy="false">⌊</mo><mfrac>' not in page
    dense = sc.Sequential([sc.Input((8,)), sc.Repeat(sc.Dense(D), L)])  # (D² + D)(L − 1)
    assert re.search(r'<mo stretchy="false">\(</mo><mrow><mi>L</mi><mo>[−-]</mo><mn>1</mn>'
                     r'</mrow><mo stretchy="false">\)</mo>', dense.to_html())
