"""Generate docs/lecture-notes.md and the PNGs of its compiled LaTeX.

    .venv-test/bin/python scripts/render_lecture_notes.py          # page and PNGs
    .venv-test/bin/python scripts/render_lecture_notes.py --page   # page only (no pdflatex)

The page embeds LaTeX and text that symcnn generates, so it cannot drift from the code:
tests/render/test_lecture_notes_doc.py checks that the committed page equals ``render()``,
that its examples run, and that the PNGs exist. The PNGs are made with pdflatex and
pdftoppm (texlive-latex-base, texlive-latex-recommended, poppler-utils) and cropped to
their content with Pillow when it is installed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import symcnn as sc  # noqa: E402
from symcnn.render.latex import compile_pdf  # noqa: E402
from symcnn.zoo import textbook  # noqa: E402

PAGE = ROOT / "docs" / "lecture-notes.md"
IMAGES = {
    "lecture-notes-cifar-table.png": lambda: textbook.cifar().to_latex(standalone=True),
    "lecture-notes-free-width-derivation.png": lambda: textbook.free_width().to_latex(
        style="derivation", standalone=True),
}


def _symbolic():
    """The issue-14 example: a width w and a symbolic input H x W."""
    H, W, w = sc.symbols("H W w")
    return sc.Sequential([
        sc.Input((H, W, 3)), sc.Conv2D(8 * w, 3), sc.MaxPooling2D(2),
        sc.Conv2D(16 * w, 3, strides=2), sc.MaxPooling2D(2), sc.Flatten(), sc.Dense(10),
    ], name="symbolic")


#: PNGs of pages (the page number; -1 is the last page).
PAGES = {
    "lecture-notes-symbolic-table.png": (lambda: _symbolic().to_latex(standalone=True), 1),
    "lecture-notes-resnet50-last-page.png": (lambda: sc.zoo.resnet50().to_latex(
        standalone=True), -1),
    "lecture-notes-symbolic-derivation-d2l.png": (lambda: _symbolic().to_latex(
        style="derivation", standalone=True, notation="d2l"), 1),
}
#: PNGs of HTML pages, rendered by headless Chromium.
HTML = {
    "lecture-notes-html-derivation.png": lambda: _symbolic().to_html(style="derivation"),
}
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]


def _formula_table() -> str:
    """One row per layer family: its general formulas, as symcnn derives them."""
    H, W = sc.symbols("H W")
    cases = [
        ("Conv2D, `valid` or explicit padding", sc.Conv2D(64, 3, padding=1), (H, W, 32)),
        ("Conv2D, dilated", sc.Conv2D(64, 3, dilation_rate=2), (H, W, 32)),
        ("Conv2D, `same` padding", sc.Conv2D(64, 3, strides=2, padding="same"), (H, W, 32)),
        ("Conv2D, groups", sc.Conv2D(64, 3, groups=2), (H, W, 32)),
        ("DepthwiseConv2D", sc.DepthwiseConv2D(3, depth_multiplier=2), (H, W, 32)),
        ("SeparableConv2D", sc.SeparableConv2D(64, 3), (H, W, 32)),
        ("Conv2DTranspose, `same`", sc.Conv2DTranspose(64, 3, strides=2, padding="same"),
         (H, W, 32)),
        ("Conv2DTranspose, explicit padding",
         sc.Conv2DTranspose(64, 3, strides=2, padding=1, output_padding=1), (H, W, 32)),
        ("MaxPooling2D", sc.MaxPooling2D(2), (H, W, 32)),
        ("MaxPooling2D, PyTorch `ceil_mode`", sc.MaxPooling2D(3, 2, padding=1, ceil_mode=True),
         (H, W, 32)),
        ("ZeroPadding2D", sc.ZeroPadding2D(((1, 2), (1, 2))), (H, W, 32)),
        ("UpSampling2D", sc.UpSampling2D(2), (H, W, 32)),
        ("Flatten", sc.Flatten(), (7, 7, 32)),
        ("Dense", sc.Dense(10), (512,)),
        ("BatchNormalization", sc.BatchNormalization(), (H, W, 32)),
        ("GlobalAveragePooling2D", sc.GlobalAveragePooling2D(), (H, W, 32)),
    ]
    rows = ["| layer | output sizes | parameters |", "|---|---|---|"]
    for label, layer, shape in cases:
        d = sc.Sequential([sc.Input(shape), layer]).layers[0].derivation
        sizes = "<br>".join(f"`{s.key} = {s.formula}`" for s in d.shape_steps
                            if s.key != "C_out" or "C_in" in str(s.formula))
        params = " + ".join(f"`{s.formula}`" for s in d.steps if s.key == "params")
        rows.append(f"| {label} | {sizes or 'unchanged'} | {params} |")
    return "\n".join(rows)


def _doctest(lines, namespace: dict) -> str:
    """A ```python block of ``>>>`` examples with their output, run now in ``namespace``
    (shared by the page's blocks, as the page's test runs them in one session)."""
    import doctest
    import io

    source = "\n".join(lines)
    out = []
    for example in doctest.DocTestParser().get_examples(source):
        buffer = io.StringIO()
        stdout, sys.stdout = sys.stdout, buffer
        try:
            code = compile(example.source, "<page>", "single")
            exec(code, namespace)
        finally:
            sys.stdout = stdout
        first, *rest = example.source.rstrip("\n").split("\n")
        out.append(">>> " + first)
        out += ["... " + r for r in rest]
        out += [line for line in buffer.getvalue().rstrip("\n").split("\n") if buffer.getvalue()]
    return "```python\n" + "\n".join(out) + "\n```"


def _excerpt(text: str, first: int, count: int) -> str:
    lines = text.splitlines()
    return "\n".join(lines[first:first + count] + (["% ..."] if first + count < len(lines)
                                                    else []))


def render() -> str:
    """The text of docs/lecture-notes.md."""
    cifar, free = textbook.cifar(), textbook.free_width()
    H, W = sc.symbols("H W")
    namespace: dict = {}
    template = (ROOT / "scripts" / "lecture_notes_template.md").read_text(encoding="utf-8")
    fills = {
        "QUICK": _doctest([
            ">>> import symcnn as sc",
            ">>> model = sc.zoo.textbook.cifar()",
            ">>> print(model.layers[1].derivation)  # layers[0] is the InputLayer, as in Keras",
            ">>> step = model.layers[1].derivation['params']",
            ">>> step.formula, step.working, step.value",
            ">>> step.working.doit()",
        ], namespace),
        "TABLE": cifar.to_latex(),
        "DERIVATION": _excerpt(free.to_latex(style="derivation"), 0, 24),
        "SUMMARY": _doctest([
            ">>> sc.zoo.textbook.free_width().summary(columns=['layer', 'output_shape', "
            "'working'])",
        ], namespace),
        "MARKDOWN": free.to_markdown(),
        "ASSUME": _doctest([
            ">>> H, W = sc.symbols('H W')",
            ">>> net = sc.zoo.textbook.cifar((H, W, 3))",
            ">>> print(net.get_layer('conv2d_3').derivation)",
            ">>> print(sc.derivation.derive(net.get_layer('conv2d_3'), "
            "assume_divisible={H: 32, W: 32}))",
        ], namespace),
        "ASSUME_TEX": "\n".join(cifar_symbolic_lines(H, W)),
        "FORMULAS": _formula_table(),
    }
    for key, value in fills.items():
        template = template.replace("{{" + key + "}}", value)
    return template


def cifar_symbolic_lines(H, W) -> list:
    tex = textbook.cifar((H, W, 3)).to_latex(assume_divisible={H: 32, W: 32})
    lines = tex.splitlines()
    keep = [l for l in lines if "conv2d\\_3" in l or "Assuming" in l]
    return keep


def _png(tex: str, target: Path, page: int = 1) -> None:
    tex = tex.replace("\\begin{document}", "\\begin{document}\\pagestyle{empty}")
    with tempfile.TemporaryDirectory() as folder:
        pdf = compile_pdf(tex, folder, "page")
        if page < 0:
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
            page = int(info.split("Pages:")[1].split()[0]) + 1 + page
        stem = Path(folder) / "page"
        subprocess.run(["pdftoppm", "-png", "-r", "130", "-f", str(page), "-l", str(page),
                        "-singlefile", str(pdf), str(stem)], check=True)
        _crop(stem.with_suffix(".png"), target)


def _html_png(page: str, target: Path) -> None:
    """A screenshot of an HTML page by headless Chromium, cropped."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with tempfile.TemporaryDirectory() as folder:
        html = Path(folder) / "page.html"
        html.write_text(page, encoding="utf-8")
        shot = Path(folder) / "shot.png"
        subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={folder}/profile",
                        f"--screenshot={shot}", "--window-size=1000,1500", html.as_uri()],
                       check=True, capture_output=True, timeout=120)
        _crop(shot, target)


def _crop(png: Path, target: Path) -> None:
    """Copy ``png`` to ``target`` with its white margins cut (Pillow), or whole."""
    try:
        from PIL import Image, ImageChops, ImageOps
    except ImportError:  # keep the whole page
        shutil.copy(png, target)
        return
    image = Image.open(png).convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    if box is not None:
        image = ImageOps.expand(image.crop(box), border=24, fill="white")
    image.save(target, optimize=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", action="store_true", help="write the page only, no PNGs")
    args = parser.parse_args(argv)
    PAGE.write_text(render(), encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")
    if not args.page:
        if shutil.which("pdflatex") is None or shutil.which("pdftoppm") is None:
            print("pdflatex and pdftoppm are needed for the PNGs (apt-get install "
                  "texlive-latex-base texlive-latex-recommended poppler-utils)", file=sys.stderr)
            return 1
        (ROOT / "docs" / "img").mkdir(exist_ok=True)
        for name, make in IMAGES.items():
            _png(make(), ROOT / "docs" / "img" / name)
            print(f"wrote docs/img/{name}")
        for name, (make, page) in PAGES.items():
            _png(make(), ROOT / "docs" / "img" / name, page)
            print(f"wrote docs/img/{name}")
        if shutil.which("chromium") or shutil.which("chromium-browser"):
            for name, make in HTML.items():
                _html_png(make(), ROOT / "docs" / "img" / name)
                print(f"wrote docs/img/{name}")
        else:
            print("chromium is needed for the HTML PNGs", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
