"""Fuzzing the command line: random model files and arguments, valid and invalid.

Every run either succeeds or fails with a documented exit code and exactly one line on
stderr, ``symcnn COMMAND: error: ...``, also for a bad command line (no argparse usage
block). Exit code 70 (an internal error: an exception that
is not a SymcnnError) never happens. ``SYMCNN_LONG=1`` runs 5,000 examples.
"""

import contextlib
import io
import json
import os
import tempfile

from hypothesis import given, settings, strategies as st

from symcnn.cli import EXIT_CODES, main

from ..conftest import fuzz_examples
from ..test_spec import _json, near_miss_documents

FREE_WIDTH = {
    "name": "free_width",
    "symbols": ["n"],
    "input": [39, 31, 1],
    "layers": [
        {"Conv2D": {"filters": 20, "kernel_size": 4, "use_bias": False}},
        {"MaxPooling2D": {"pool_size": 2}},
        {"Conv2D": {"filters": 40, "kernel_size": 3, "use_bias": False}},
        {"Flatten": {}},
        {"Dense": {"units": "n", "use_bias": False}},
    ],
}

assignments = st.sampled_from([
    "n=10", "n=1", "n=0", "n=-3", "n=2.5", "n=abc", "n=", "=3", "H=224", "q=1", "n=1e400",
    "n=__import__('os')", "n=10**6", "n=2*3",
])
budgets = st.sampled_from([
    "params=1e5", "params=100000", "params=-1", "params=0", "macs=1e9", "flops=5e9",
    "nope=3", "params=abc", "params=1e400", "params", "params=1e5=2",
])
ranges = st.sampled_from([
    "n=1:10", "n=1:10:0", "n=5:1", "n=1,2,3", "n=a,b", "n=1:1000", "H=1:3", "n=",
    "n=-5:5", "q=1:2", "n=1:10:-1",
])
symbols_ = st.sampled_from(["n", "H", "q", "", "n n"])
hostile = st.sampled_from(["--format", "bogus", "--columns", "--subs", "--y", "-o", "--debugx"])


@st.composite
def arguments(draw, command):
    """A command line for ``command``: its real flags with plausible and hostile values."""
    args = []
    if command == "solve":
        args += ["--budget", draw(budgets), "--for", draw(symbols_)]
    if command == "sweep":
        args.append(draw(ranges))
        if draw(st.booleans()):
            args += ["--y", *draw(st.lists(st.sampled_from(
                ["params", "macs", "flops", "trainable_params", "bogus"]), min_size=1, max_size=2))]
    if draw(st.booleans()):
        args += ["--subs", *draw(st.lists(assignments, min_size=1, max_size=2))]
    if command in ("summary", "solve", "sweep") and draw(st.booleans()):
        formats = {"summary": ["text", "markdown", "latex", "json", "yaml"],
                   "solve": ["text", "json", "csv"], "sweep": ["text", "csv", "json"]}
        args += ["--format", draw(st.sampled_from(formats[command]))]
    if command == "summary" and draw(st.booleans()):
        args += ["--columns", *draw(st.lists(st.sampled_from(
            ["layer", "params", "working", "macs", "receptive_field", "bogus"]), min_size=1,
            max_size=3))]
    if command == "latex":
        if draw(st.booleans()):
            args += ["--style", draw(st.sampled_from(["table", "derivation", "fancy"]))]
        if draw(st.booleans()):
            args += ["--assume-divisible", draw(st.sampled_from(["H=32", "n=2", "n=0", "x"]))]
    if draw(st.integers(0, 4)) == 4:  # now and then a stray flag
        args.append(draw(hostile))
    return args


documents = st.one_of(
    st.just(FREE_WIDTH),
    st.just(FREE_WIDTH),
    st.builds(lambda units: {**FREE_WIDTH, "layers": FREE_WIDTH["layers"][:-1]
                             + [{"Dense": {"units": units}}]},
              st.one_of(st.sampled_from(["n", "2*n + 1", "n//0", "floor(n/2)", "n**99",
                                         "-n", "0"]), st.integers(-2, 5))),
    near_miss_documents(),
    _json,
)


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(argv, out=out)
    return code, out.getvalue(), err.getvalue()


@settings(max_examples=fuzz_examples(200), deadline=None, database=None)
@given(doc=documents, data=st.data())
def test_every_cli_run_succeeds_or_fails_with_one_clear_line(doc, data):
    command = data.draw(st.sampled_from(["summary", "solve", "sweep", "latex"]), label="command")
    extra = data.draw(arguments(command), label="arguments")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.json")
        with open(path, "w") as handle:
            json.dump(doc, handle)
        if command == "latex":
            extra = [*extra, "-o", os.path.join(folder, "out.tex")]
        code, out, err = run([command, path, *extra])
        leftovers = set(os.listdir(folder)) - {"model.json", "out.tex"}
    assert leftovers == set(), leftovers
    assert code in set(EXIT_CODES.values()) - {EXIT_CODES["internal"]}, err
    if code == 0:
        assert out.strip() or command == "latex"
        return
    lines = err.strip().splitlines()
    assert "Traceback" not in err
    prefixes = (f"symcnn {command}: error: ",)
    assert len(lines) == 1, err
    assert lines[0].startswith(prefixes), err


def test_the_valid_free_width_file_summarises_and_solves():
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.json")
        with open(path, "w") as handle:
            json.dump(FREE_WIDTH, handle)
        code, out, _ = run(["summary", path, "--subs", "n=10"])
        assert code == 0 and "Total params" in out
        code, out, _ = run(["solve", path, "--budget", "params=1e5", "--for", "n"])
        assert code == 0 and "n = " in out
