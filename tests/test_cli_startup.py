"""Issue 16: ``import symcnn`` and the command line's argument handling load no SymPy; every
public name still resolves (PEP 562), and the CLI's copies of option choices agree."""

import subprocess
import sys

import pytest

import symcnn as sc
from symcnn.cli import options

_PROBE = """
import sys
{setup}
print(sorted({{m.split(".")[0] for m in sys.modules}}
             & {{"sympy", "numpy", "torch", "keras", "matplotlib", "yaml"}}))
"""


def _heavy_modules(setup: str) -> str:
    proc = subprocess.run([sys.executable, "-c", _PROBE.format(setup=setup)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["nope"], ["zoo", "--help"],
                                  ["summary"], ["memory", "--help"], ["exercises", "nope"],
                                  ["solve", "x.yaml", "--budget", "params=1"]])
def test_help_and_usage_errors_import_no_sympy(argv):
    setup = (f"from symcnn.cli import main\n"
             f"code = main({argv!r})\n"
             f"assert code in (0, 2), code")
    assert _heavy_modules(setup) == "[]"


def test_import_symcnn_imports_no_sympy():
    assert _heavy_modules("import symcnn") == "[]"
    assert _heavy_modules("import symcnn as sc; sc.SymcnnError, sc.__version__") == "[]"


def test_a_command_imports_what_it_needs():
    setup = ("import io\nfrom symcnn.cli import main\nout = io.StringIO()\n"
             "assert main(['zoo', 'textbook.free_width', '--subs', 'n=10'], out=out) == 0\n"
             "assert 'Total params: 49,920' in out.getvalue(), out.getvalue()")
    assert _heavy_modules(setup) == "['sympy']"


def test_the_cli_choices_agree_with_the_modules_that_use_them():
    from symcnn.costs import QUANTITIES
    from symcnn.render.notation import NOTATIONS
    from symcnn.teach.exercises import TOPICS
    from symcnn.teach.sheets import FORMATS
    from symcnn.training_memory import OPTIMIZER_STATES

    assert options.QUANTITIES == QUANTITIES
    assert options.OPTIMIZERS == tuple(OPTIMIZER_STATES)
    assert options.TOPICS == tuple(TOPICS)
    assert options.SHEET_FORMATS == tuple(FORMATS)
    assert options.NOTATIONS == tuple(NOTATIONS)


def test_every_public_name_resolves():
    import symcnn.layers

    assert set(symcnn.layers.__all__) <= set(sc.__all__)
    for name in sc.__all__:
        assert getattr(sc, name) is not None, name
    assert set(sc.__all__) <= set(dir(sc))
    # the package's own tools are private: tab completion offers the library, not them
    assert not {"importlib", "keep_functions", "lazy_modules"} & set(dir(sc))
    assert not {"importlib", "keep_functions"} & set(dir(sc.zoo))
    assert set(sc.zoo.__all__) <= set(dir(sc.zoo))
    namespace = {}
    exec("from symcnn import *", namespace)
    assert namespace["Conv2D"] is sc.Conv2D and namespace["sweep"] is sc.sweep


def test_a_submodule_of_the_same_name_does_not_replace_the_function():
    import symcnn.symbols  # noqa: F401

    assert callable(sc.symbols) and str(sc.symbols("n")) == "n"
    code = ("import symcnn.symbols, symcnn.model\nimport symcnn as sc\n"
            "print(sc.symbols('H W'), sc.layers.__name__, sc.render.__name__)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.split() == ["(H,", "W)", "symcnn.layers", "symcnn.render"], proc.stderr


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Conv2d'"):
        sc.Conv2d
    assert not hasattr(sc, "_private")


@pytest.mark.parametrize("first", ["sc.zoo.resnet18(input_shape=(32, 32, 3))",
                                   "__import__('symcnn.zoo').zoo.resnet18(input_shape=(32, 32, 3))"])
def test_cost_columns_work_whatever_is_imported_first(first):
    """The MACs column is offered by the printers themselves, not by whichever module a lazy
    ``import symcnn`` happened to load first (``sc.zoo`` used to leave it unregistered)."""
    code = (f"import symcnn as sc\nm = {first}\n"
            "print(m.summary_text(columns=['layer', 'params', 'macs']).splitlines()[-1])\n"
            "print(m.to_markdown(columns=['layer', 'params', 'macs']).splitlines()[-1])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    macs = f"{int(sc.zoo.resnet18(input_shape=(32, 32, 3)).macs):,}"
    assert proc.stdout.splitlines() == [f"Total MACs: {macs}", f"| **Total MACs** |  | {macs} |"]
