"""A table that claims nothing does not pass (a blank table, or JSON ``[]``, scored "0 of 0
marks (100%)" and exited 0), and one row about no layer of the model is marked
``unknown_layer`` while the rest of the table is marked (``conv2D_1`` for ``conv2d_1``
stopped the whole marking: exit 3, no row marked). A torchinfo printout is read: its top
``Sequential`` row is skipped and the batch axis of 1 of its shapes taken off."""

from __future__ import annotations

import io
import json
import pathlib

import symcnn as sc
from symcnn.cli import main
from symcnn.zoo import textbook

from ..conftest import require

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = str(ROOT / "examples" / "models" / "free_width.yaml")


def run(*argv) -> tuple:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


BLANK = "| layer | output shape | params |\n|---|---|---|\n| conv2d | | |\n| dense | | |\n"


def test_a_blank_table_scores_0_of_its_entries_and_does_not_pass():
    report = sc.check(textbook.free_width(), BLANK)
    assert report.nothing_claimed and not report.ok
    assert report.score == 0.0 and report.marks == (0, 4)
    assert report.to_text().startswith("Marking of model 'free_width': nothing was claimed "
                                       "(all 4 entries are blank): 0 of 4 marks (0%)")
    for claims in ([], "| layer | params |\n|---|---|\n", [{"layer": "conv2d"}]):
        report = sc.check(textbook.free_width(), claims)
        assert report.nothing_claimed and not report.ok and report.score == 0.0, claims
        assert "nothing was claimed" in report.to_markdown()
    # a table with one entry claimed is marked as before: the blank cells are not asked
    report = sc.check(textbook.free_width(), BLANK.replace("| dense | | |", "| dense | | 160n |"))
    assert report.ok and report.score == 1.0 and not report.nothing_claimed


def test_check_exits_1_on_a_blank_table_or_an_empty_json_list(tmp_path):
    for name, text in [("blank.md", BLANK), ("empty.json", "[]"),
                       ("header.md", "| layer | params |\n|---|---|\n")]:
        path = tmp_path / name
        path.write_text(text)
        code, out = run("check", MODEL, str(path))
        assert code == 1 and "nothing was claimed" in out, (name, code, out)
    right = tmp_path / "right.json"
    right.write_text(json.dumps([{"layer": "dense", "params": "160*n"}]))
    assert run("check", MODEL, str(right))[0] == 0


def test_a_mis_cased_name_is_its_layer_and_an_unknown_one_is_marked_alone():
    table = ("| layer | output shape | params |\n|---|---|---|\n"
             "| conv2d | (36, 28, 20) | 320 |\n| conv2D_1 | (16, 12, 40) | 7200 |\n"
             "| conv2d_9 | (16, 12, 40) | 7200 |\n| Dense | n | 160n |\n")
    report = sc.check(textbook.free_width(), table)
    assert [(r.layer, r.diagnoses) for r in report.rows] == [
        ("conv2d", {}), ("conv2d_1", {}),
        ("conv2d_9", {"output_shape": "unknown_layer", "params": "unknown_layer"}),
        ("dense", {})]
    problem = report.rows[2].problem
    assert "no layer named 'conv2d_9'. Did you mean 'conv2d_3'?" in problem
    text = report.to_text()
    assert "conv2d_9 (unknown layer)" in text and "wrong, no such layer" in text
    assert report.marks == (6, 8)
    for rendered in (report.to_markdown(), report.to_latex(), report.to_html()):
        assert "unknown" in rendered and "conv2d" in rendered


def test_a_name_two_layers_share_but_for_case_is_not_guessed():
    model = sc.Sequential([sc.Input((8,)), sc.Dense(4, name="head"), sc.Dense(4, name="Head")])
    rows = sc.check(model, [{"layer": "HEAD", "params": 36}, {"layer": "Head", "params": 20}]).rows
    assert [(r.layer, r.diagnosis) for r in rows] == [("HEAD", "unknown_layer"), ("Head", None)]


def test_check_marks_the_rest_of_a_table_with_an_unknown_layer_and_exits_1(tmp_path):
    path = tmp_path / "typo.md"
    path.write_text("| layer | params |\n|---|---|\n| conv9 | 3 |\n| conv2d | 320 |\n")
    code, out = run("check", MODEL, str(path))
    assert code == 1 and "[unknown_layer]" in out and "conv2d (Conv2D)" in out
    assert "1 of 2 marks" in out


def test_a_torchinfo_printout_is_marked_against_the_module_it_summarises():
    torch = require("torch")
    torchinfo = require("torchinfo")
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 4 * 4, 10))
    model = sc.from_torch(net, input_shape=(3, 16, 16))
    for settings in ({}, {"row_settings": ("var_names",)}):
        printout = str(torchinfo.summary(net, input_size=(1, 3, 16, 16), verbose=0, **settings))
        report = sc.check(model, printout)
        assert [r.layer for r in report.rows] == ["0", "1", "2", "3", "4", "5"]
        # torchinfo's shapes, less their batch axis, are the module's own
        shapes = [tuple(net[: i + 1](torch.zeros(1, 3, 16, 16)).shape[1:]) for i in range(6)]
        assert all(r.marks[0].ok for r in report.rows), report
        assert [tuple(int(v) for v in r.expected.output_shape) for r in report.rows] == shapes
        # torchinfo counts BatchNorm2d's parameters(), 2C: the one known slip
        assert [r.diagnosis for r in report.rows] == [None, "bn_trainable_only"] + [None] * 4
