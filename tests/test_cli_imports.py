"""Issue 16: ``symcnn zoo resnet50`` imports what a zoo model's summary needs and nothing else
(the other commands' modules, the other architectures, the PyTorch-named layers, the file
formats, plots and sweeps), so its start-up cannot silently grow again; and a single zoo
model resolves to the same function the listing offers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from symcnn.cli.zoo import zoo_entries, zoo_entry

_PROBE = """
import io, json, sys
from symcnn.cli import main
out = io.StringIO()
code = main({argv!r}, out=out)
assert code == 0, code
assert {expect!r} in out.getvalue(), out.getvalue()[-500:]
print(json.dumps(sorted(m for m in sys.modules if m == "symcnn" or m.startswith("symcnn."))))
"""

#: Modules a zoo model's summary must not import (a prefix covers its submodules).
NOT_NEEDED = (
    "symcnn.plotting", "symcnn.sweeping", "symcnn.codegen", "symcnn.sweep_bounds",
    "symcnn.spec", "symcnn.spec_export", "symcnn.safe_read", "symcnn.interop", "symcnn.nn",
    "symcnn.teach", "symcnn.admissibility",
    "symcnn.cli.commands", "symcnn.cli.loading", "symcnn.cli.sweep", "symcnn.cli.memory",
    "symcnn.cli.teach",
    "symcnn.zoo.swin", "symcnn.zoo.vit", "symcnn.zoo.vgg", "symcnn.zoo.convnext",
    "symcnn.zoo.densenet", "symcnn.zoo.efficientnet", "symcnn.zoo.mobilenet",
    "symcnn.zoo.mobilenet_v3", "symcnn.zoo.alexnet", "symcnn.zoo.lenet", "symcnn.zoo.textbook",
)


def _imported(argv: list, expect: str) -> list:
    proc = subprocess.run([sys.executable, "-c", _PROBE.format(argv=argv, expect=expect)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def _unneeded(modules: list) -> list:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in NOT_NEEDED)]


def test_a_zoo_models_summary_imports_only_what_it_needs():
    modules = _imported(["zoo", "resnet50"], "Total params: 25,610,152")
    assert "symcnn.zoo.resnet" in modules and "symcnn.cli.zoo" in modules  # the probe works
    assert _unneeded(modules) == []


def test_a_zoo_model_with_arguments_and_json_stays_lean():
    modules = _imported(["zoo", "resnet18", "--input", "H,32,3", "--arg", "classes=10",
                         "--subs", "H=32", "--format", "json"], '"schema": "symcnn/summary"')
    assert _unneeded(modules) == []


def test_the_listing_still_imports_every_architecture():
    modules = _imported(["zoo"], "resnet50")
    assert {"symcnn.zoo.swin", "symcnn.zoo.vit", "symcnn.zoo.textbook"} <= set(modules)


def test_a_single_entry_is_the_listings_entry():
    entries = zoo_entries()
    assert len(entries) > 40 and "resnet50" in entries and "textbook.free_width" in entries
    for name, build in entries.items():
        assert zoo_entry(name) is build, name


@pytest.mark.parametrize("name", ["nope", "make_divisible", "scaling", "textbook",
                                  "EFFICIENTNET_COEFFICIENTS", "TableConv2D", "textbook.nope",
                                  "resnet50.x", ".resnet50", "resnet50.", "nope.resnet50",
                                  "scaling.make_divisible", "_LAZY", "__all__"])
def test_what_the_listing_does_not_offer_is_no_entry(name):
    assert name not in zoo_entries()
    assert zoo_entry(name) is None


_EXIT_PROBE = """
import gc, sys
from symcnn.cli import main

gc.disable()  # no collection while the command runs: only the one at exit could find Cycle


class Cycle:
    def __init__(self):
        self.me = self

    def __del__(self):
        sys.stderr.write("collected at exit\\n")


Cycle()
sys.argv = ["symcnn", "--version"]
sys.exit(main({argv}))
"""


@pytest.mark.parametrize("argv, collected", [("None", False), ("['--version']", True)])
def test_only_the_command_itself_skips_the_last_collection(argv, collected):
    """The ``symcnn`` script (``main()``, argv None) leaves its objects to the OS at exit;
    a program that calls ``main(argv)`` keeps Python's usual exit."""
    proc = subprocess.run([sys.executable, "-c", _EXIT_PROBE.format(argv=argv)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.startswith("symcnn "), proc.stderr
    assert ("collected at exit" in proc.stderr) is collected
