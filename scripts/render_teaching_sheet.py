"""Render docs/img/teaching-sheet-*.png: a generated exercise sheet compiled with pdflatex.

Run from the repository root (needs pdflatex and pdftoppm):

    python scripts/render_teaching_sheet.py

It writes the LaTeX of a mixed sheet (two exercises per topic, seed 1), compiles it, and
converts the question page and the first solution page to PNG for docs/teaching.md.
"""

from __future__ import annotations

import pathlib
import subprocess
import tempfile

import symcnn as sc
from symcnn.render.latex import compile_pdf

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main() -> None:
    items = [x for topic in ("output_size", "params", "macs", "receptive_field",
                             "padding_for_same", "budget", "scaling")
             for x in sc.exercises.generate(topic, n=2, seed=1)]
    tex = sc.exercises.sheet(items, format="latex", solutions=True,
                             title="Exercises on CNN shapes, parameters and costs")
    with tempfile.TemporaryDirectory() as folder:
        pdf = compile_pdf(tex, folder, "sheet")
        log = (pathlib.Path(folder) / "sheet.log").read_text(encoding="latin-1")
        assert "Overfull \\hbox" not in log, "the sheet runs off the page"
        for page, name in ((1, "questions"), (2, "solutions")):
            out = ROOT / "docs" / "img" / f"teaching-sheet-{name}"
            subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", str(page), "-l", str(page),
                            "-singlefile", str(pdf), str(out)], check=True)
            print(f"wrote {out}.png")


if __name__ == "__main__":
    main()
