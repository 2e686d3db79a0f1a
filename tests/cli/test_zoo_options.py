"""``symcnn zoo``'s ``--arg`` and ``--input``: flags, the option an error names, an input
shape given twice, and a channels-first shape, which the zoo refuses as Keras does."""

from __future__ import annotations

import json

import pytest

import symcnn as sc
from symcnn.cli import EXIT_CODES

from ..test_cli import ok, run

USAGE = EXIT_CODES["usage"]


@pytest.mark.parametrize("spelling", ["False", "false"])
def test_arg_takes_false_for_a_flag(spelling):
    """``--arg include_top=False`` said "the name 'False' cannot be a new symbol", and
    include_top=false "must be True or False": no flag could be given."""
    doc = json.loads(ok("zoo", "resnet18", "--arg", f"include_top={spelling}", "--input",
                        "64,64,3", "--format", "json"))
    model = sc.zoo.resnet18((64, 64, 3), include_top=False)
    assert doc["totals"]["params"] == model.params
    assert doc["output_shape"] == list(model.output_shape)


@pytest.mark.parametrize("spelling", ["True", "true"])
def test_arg_takes_true_for_a_flag(spelling):
    doc = json.loads(ok("zoo", "resnet", "--arg", "blocks=(2,2,2,2)", f"bottleneck={spelling}",
                        "--input", "64,64,3", "--format", "json"))
    assert doc["totals"]["params"] == sc.zoo.resnet(blocks=(2, 2, 2, 2), bottleneck=True,
                                                    input_shape=(64, 64, 3)).params


def test_a_flag_is_not_a_size_and_zero_is_not_a_flag():
    for item, named in (("width=True", "`width`"), ("include_top=0", "`include_top`")):
        code, out, err = run("zoo", "resnet18", "--arg", item)
        assert (code, out) == (USAGE, ""), err
        assert err.startswith("symcnn zoo: error: --arg: resnet18: ") and named in err, err


@pytest.mark.parametrize("argv, option", [
    (("zoo", "resnet18", "--input", "2.5,224,3"), "--input"),
    (("zoo", "resnet18", "--input", "H/2,W,3"), "--input"),
    (("zoo", "resnet18", "--input", "3,H,W"), "--input"),
    (("memory", "--zoo", "resnet18", "--input", "2.5,224,3"), "--input"),
    (("memory", "--zoo", "resnet18", "--input", "3,224,224"), "--input"),
    (("zoo", "resnet18", "--arg", "input_shape=(3,64,64)"), "--arg"),
    (("zoo", "resnet18", "--arg", "input_shape=(2.5,64,3)"), "--arg"),
    (("zoo", "resnet18", "--input", "64,64,3", "--arg", "width=0"), "--arg"),
])
def test_an_error_names_the_option_that_gave_the_value(argv, option):
    """The option was guessed from whether the message said `input_shape`: ``--input
    2.5,224,3`` was reported as --arg (also under ``memory``, which has no --arg), and
    ``--arg input_shape=(3,64,64)`` as --input, which was never given."""
    code, out, err = run(*argv)
    assert (code, out) == (USAGE, ""), err
    assert err.startswith(f"symcnn {argv[0]}: error: {option}: "), err


def test_an_input_shape_given_by_both_input_and_arg_is_a_usage_error():
    """``--input 224,224,3 --arg input_shape=(64,64,1)`` used --input silently."""
    code, out, err = run("zoo", "resnet18", "--input", "224,224,3", "--arg",
                         "input_shape=(64,64,1)")
    assert (code, out) == (USAGE, ""), err
    assert "given twice" in err and "--input 224,224,3" in err and \
        "--arg input_shape=(64,64,1)" in err, err


def test_a_channels_first_input_is_refused_naming_the_channels_last_one():
    """``symcnn zoo resnet18 --input 3,H,W`` built a network on an image 3 pixels high."""
    code, out, err = run("zoo", "resnet18", "--input", "3,H,W")
    assert (code, out) == (USAGE, ""), err
    assert "looks channels first (3 channels)" in err and "input_shape=(H, W, 3)" in err
    doc = json.loads(ok("zoo", "resnet18", "--input", "H,W,3", "--format", "json"))
    assert doc["inputs"][0]["shape"] == ["H", "W", 3]
