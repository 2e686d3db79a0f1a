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
