"""The command line: ``symcnn check MODEL CLAIMS`` and ``symcnn exercises TOPIC``."""

from __future__ import annotations

import io
import json
import pathlib

from symcnn.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = str(ROOT / "examples" / "models" / "free_width.yaml")


def run(*argv):
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_check_prints_the_report_and_exits_1_when_a_row_is_wrong():
    code, text = run("check", MODEL, str(ROOT / "examples" / "claims" / "free_width_table.md"))
    assert code == 1
    assert "Marking of model 'free_width'" in text and "[extra_bias]" in text
    assert "carried (credited)" in text


def test_check_exits_0_when_every_row_is_right_and_reads_json_rows(tmp_path):
    rows = [{"layer": "conv2d", "output_shape": [36, 28, 20], "params": 320},
            {"layer": "dense", "params": "160*n"}]
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps(rows))
    code, text = run("check", MODEL, str(claims), "--format", "markdown")
    assert code == 0 and "| `dense` (Dense) | params | `160*n` | `160*n` | right |  |" in text


def test_check_reports_a_missing_claims_file_as_a_file_error(tmp_path):
    code, _ = run("check", MODEL, str(tmp_path / "nope.md"))
    assert code == 3  # as an unreadable MODEL; 1 means a wrong row
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    assert run("check", MODEL, str(broken))[0] == 3


def test_claims_that_cannot_be_marked_as_a_whole_exit_3_an_unreadable_entry_1(tmp_path):
    for name, text in [("object.json", "{not json"), ("dict.json", '{"layer": 0}'),
                       ("no_rows.md", "just words")]:
        path = tmp_path / name
        path.write_text(text)
        assert run("check", MODEL, str(path))[0] == 3, name  # was 1 ("a wrong row")
    entry = tmp_path / "entry.md"
    entry.write_text("| layer | params |\n|---|---|\n| conv2d | 3x? |\n")
    code, text = run("check", MODEL, str(entry))
    assert code == 1 and "[unreadable]" in text


def test_exercises_with_a_bad_count_is_a_command_line_error():
    assert run("exercises", "output_size", "-n", "0")[0] == 2


def test_exercises_writes_the_sheet(tmp_path):
    target = tmp_path / "sheet.tex"
    code, text = run("exercises", "output_size", "-n", "4", "--seed", "1", "--format", "latex",
                     "-o", str(target))
    assert code == 0 and "wrote" in text
    tex = target.read_text()
    assert tex.startswith(r"\documentclass") and tex.count(r"\item ") >= 8
    code, again = run("exercises", "output_size", "-n", "4", "--seed", "1", "--format", "latex")
    assert again == tex


def test_exercises_refuses_an_unknown_topic_as_a_usage_error():
    code, _ = run("exercises", "sizes")
    assert code == 2


def test_a_hostile_claims_file_is_a_file_error_in_one_line_never_a_crash(tmp_path, capsys):
    """The claims file is read as model files are (it was read whole, unchecked: exit 70 on
    non-UTF-8, deep JSON or long integers, gigabytes on a huge file)."""
    cases = {
        "latin.md": (b"\xff\xfe| a |", "not UTF-8"),
        "deep.json": (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 64"),
        "long.json": (b'[{"layer": "conv2d", "params": ' + b"9" * 5000 + b"}]", "4,300 digits"),
        "huge.md": (b"| a |\n" * 200_000, "larger than 1,000,000 bytes"),
        "cell.csv": (b"layer,params\nconv2d," + b"x" * 200_000, "not a readable CSV table"),
    }
    for name, (data, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        code, _ = run("check", MODEL, str(path))
        err = capsys.readouterr().err
        assert code == 3 and message in err and err.count("\n") == 1, name
    code, _ = run("check", MODEL, str(tmp_path))
    assert code == 3 and "not a regular file (a directory)" in capsys.readouterr().err
    bom = tmp_path / "bom.json"  # a byte-order mark, as Windows editors write, is fine
    bom.write_bytes(b'\xef\xbb\xbf[{"layer": "conv2d", "params": 320}]')
    assert run("check", MODEL, str(bom))[0] == 0
