"""A malformed option value is a usage error (exit code 2) in every command, and its message
names the option and the value it received; a well-formed value that does not fit the model
(a symbol it does not have, a fraction for one of its integer sizes) makes the request fail
(exit code 1). docs/cli.md, "Exit codes", states the rule.

Found by trying a malformed value for every option that takes one: ``plot --budget
params=abc`` failed with 1 where ``solve`` said 2, ``latex --assume-divisible n=abc`` with 1
where ``--assume-divisible n`` said 2, and so did ``--subs n=0``, ``--columns foo``, ``zoo
--input 0,0,3``, ``zoo --arg width=-3``, ``memory --dtype foo``, ``plot -o x.foo`` and a
``--title`` that is not mathtext; ``memory --for zz`` said 2 where ``solve --for zz`` says 1.
"""

from __future__ import annotations

import pathlib

import pytest

from symcnn.cli import EXIT_CODES

from .test_cli import run

ROOT = pathlib.Path(__file__).resolve().parents[1]
FREE_WIDTH = str(ROOT / "examples" / "models" / "free_width.json")
USAGE, FAILED = EXIT_CODES["usage"], EXIT_CODES["error"]


def plot(*extra, output="x.png"):
    return ("plot", FREE_WIDTH, "n=1:10", "-o", output, *extra)


#: (command line, what the one error line must name: the option, then the received value)
MALFORMED = [
    (plot("--budget", "params=abc"), "--budget", "params=abc"),
    (plot("--budget", "params=-5"), "--budget", "params=-5"),
    (plot("--budget", "params=0"), "--budget", "params=0"),
    (plot("--budget", "params"), "--budget", "'params'"),
    (plot("--budget", "speed=5"), "--budget", "speed=5"),
    (plot("--budget", "macs=5"), "--budget", "macs=5"),  # not a plotted quantity
    (plot(output="x.unknown"), "-o", "x.unknown"),
    (plot("--title", "$\\frac{$"), "--title", "title='$\\\\frac{$'"),
    (("solve", FREE_WIDTH, "--budget", "params=abc", "--for", "n"), "--budget", "params=abc"),
    (("solve", FREE_WIDTH, "--budget", "params", "--for", "n"), "--budget", "'params'"),
    (("latex", FREE_WIDTH, "--assume-divisible", "n=abc"), "--assume-divisible", "n=abc"),
    (("latex", FREE_WIDTH, "--assume-divisible", "n=0"), "--assume-divisible", "n=0"),
    (("latex", FREE_WIDTH, "--assume-divisible", "n=3/2"), "--assume-divisible", "n=3/2"),
    (("latex", FREE_WIDTH, "--assume-divisible", "n"), "--assume-divisible", "'n'"),
    (("latex", FREE_WIDTH, "--columns", "layer,typ"), "--columns", "layer,typ"),
    (("latex", FREE_WIDTH, "--style", "derivation", "--caption", "x"), "--caption", "'x'"),
    (("latex", FREE_WIDTH, "--caption", "a\x01b"), "--caption", "'a\\x01b'"),
    (("summary", FREE_WIDTH, "--subs", "n=0"), "--subs", "n=0"),
    (("summary", FREE_WIDTH, "--subs", "n=-3"), "--subs", "n=-3"),
    (("summary", FREE_WIDTH, "--subs", "n=abc%"), "--subs", "'abc%'"),
    (("summary", FREE_WIDTH, "--columns", "layer,parms"), "--columns", "layer,parms"),
    (("summary", FREE_WIDTH, "--columns", "layer,layer"), "--columns", "layer,layer"),
    (("zoo", "resnet18", "--input", "0,0,3"), "--input", "0,0,3"),
    (("zoo", "resnet18", "--input", "224,224"), "--input", "(224, 224)"),
    (("zoo", "resnet18", "--arg", "width=-3"), "--arg", "width=-3"),
    (("zoo", "resnet18", "--arg", "classes=0"), "--arg", "classes=0"),
    (("zoo", "mobilenet_v2", "--arg", "alpha=-1"), "--arg", "alpha=-1"),
    (("zoo", "resnet18", "--columns", "speed"), "--columns", "speed"),
    (("memory", "--zoo", "resnet18", "--dtype", "float33"), "--dtype", "'float33'"),
    (("memory", "--zoo", "resnet18", "--input", "224,0,3"), "--input", "224,0,3"),
    (("memory", "--zoo", "resnet18", "--subs", "H=0"), "--subs", "H=0"),
    (("memory", "--zoo", "resnet18", "--budget", "lots"), "--budget", "'lots'"),
    (("solve", FREE_WIDTH, "--budget", "params=100m", "--for", "n"), "--budget", "params=100m"),
    (("solve", FREE_WIDTH, "--budget", "params=1GiB", "--for", "n"), "--budget", "params=1GiB"),
    (plot("--budget", "params=100x"), "--budget", "params=100x"),
]


@pytest.mark.parametrize("argv, option, received", MALFORMED,
                         ids=[" ".join(a[2:] if a[0] != "zoo" else a[1:])[-60:]
                              for a, _, _ in MALFORMED])
def test_a_malformed_option_value_is_a_usage_error_naming_the_option_and_the_value(
        tmp_path, monkeypatch, argv, option, received):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(*argv)
    line = err.strip()
    assert (code, out) == (USAGE, ""), err
    assert len(err.splitlines()) == 1 and line.startswith(f"symcnn {argv[0]}: error: ")
    assert option in line and received in line, line
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize("value", ["abc", "0", "-5", "params", "n"])
def test_the_same_bad_budget_has_the_same_exit_code_in_solve_and_plot(tmp_path, value):
    item = value if value == "params" else f"params={value}"
    solved = run("solve", FREE_WIDTH, "--budget", item, "--for", "n")
    plotted = run(*plot("--budget", item, output=str(tmp_path / "x.png")))
    assert solved[0] == plotted[0] == USAGE
    assert solved[2].split("error: ", 1)[1] == plotted[2].split("error: ", 1)[1]


#: Well-formed values that this model cannot take: the request fails (1), as documented.
DOES_NOT_FIT = [
    (("summary", FREE_WIDTH, "--subs", "q=3"), "no symbol named 'q'"),
    (("summary", FREE_WIDTH, "--subs", "n=3/2"), "n=3/2"),  # a multiplier could be 3/2
    (("latex", FREE_WIDTH, "--assume-divisible", "q=2"), "does not have: q"),
    (("solve", FREE_WIDTH, "--budget", "params=1e5", "--for", "q"), "--for q"),
    (("memory", "--zoo", "resnet18", "--budget", "24GiB", "--for", "q"), "--for q"),
    (("memory", "--zoo", "resnet18", "--budget", "24GiB", "--for", "H", "--subs", "H=224",
      "W=224"), "--subs fixed H already"),
]


@pytest.mark.parametrize("argv, message", DOES_NOT_FIT)
def test_a_value_the_model_cannot_take_fails_the_request(argv, message):
    code, out, err = run(*argv)
    assert (code, out) == (FAILED, ""), err
    assert len(err.splitlines()) == 1 and message in err


def test_the_values_that_are_right_still_work(tmp_path):
    assert run(*plot("--budget", "params=1e5", output=str(tmp_path / "x.png")))[0] == 0
    assert run("latex", FREE_WIDTH, "--assume-divisible", "n=2", "--caption", "50% & more",
               "--columns", "layer,params")[0] == 0
    assert run("summary", FREE_WIDTH, "--subs", "n=abc", "--columns", "layer,params")[0] == 0
    assert run("zoo", "densenet121", "--arg", "name=mine", "--input", "224,224,3")[0] == 0
    assert run("memory", "--zoo", "resnet18", "--dtype", "bfloat16", "--input",
               "224,224,3")[0] == 0
