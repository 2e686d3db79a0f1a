"""sc.plot: what the figure shows is what the solver and the closed form say."""

import pathlib
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
import sympy

import symcnn as sc

pytest.importorskip("matplotlib")

n, w = sc.symbols("n w")
MODELS = pathlib.Path(__file__).resolve().parents[1] / "examples" / "models"


def test_importing_symcnn_does_not_import_matplotlib():
    code = "import sys, symcnn; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_solved_point_the_budget_line_and_the_closed_form_are_on_the_plot(tmp_path):
    model = sc.zoo.textbook.free_width()
    path = tmp_path / "free_width.png"
    fig = sc.plot(model, n=range(1, 501), budget=100_000, path=path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax = fig.axes[0]
    assert ax.get_ylabel() == f"params = ${sympy.latex(model.params)}$"
    assert ax.get_xlabel() == "$n$"
    lines = {line.get_label(): line for line in ax.get_lines()}
    curve = lines["free_width (n = 323)"]
    assert list(curve.get_xdata()) == list(range(1, 501))
    assert list(curve.get_ydata()) == [160 * v + 48320 for v in range(1, 501)]
    assert list(lines["budget 100,000"].get_ydata()) == [100_000, 100_000]
    marked = [line for line in ax.get_lines() if list(line.get_xdata()) == [323]]
    assert marked and list(marked[0].get_ydata()) == [100_000]


def test_several_models_share_one_plot_each_with_its_own_answer():
    targets = {"wide head": sc.zoo.textbook.free_width(),
               "tall input": sc.zoo.textbook.free_width(input_shape=(47, 31, 1))}
    fig = sc.plot(targets, n=range(1, 400), budget=100_000)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    for name, model in targets.items():
        best = sc.solve_budget(model.params, 100_000, n)
        assert any(label.startswith(name) and f"(n = {best})" in label for label in labels)


def test_one_panel_per_quantity_with_budgets_per_quantity():
    model = sc.zoo.textbook.free_width()
    fig = sc.plot(model, n=range(1, 50), y=["params", "macs"], budget={"macs": 3_000_000})
    assert [ax.get_ylabel().split(" ")[0] for ax in fig.axes] == ["params", "macs"]
    best = model.solve_budget(macs=3_000_000)
    assert any(f"(n = {best})" in t.get_text() for t in fig.axes[1].get_legend().get_texts())


def test_an_expression_that_does_not_grow_is_plotted_without_a_false_answer():
    fig = sc.plot(w**2 - 20 * w + 120, w=range(1, 30), budget=50)
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert not any("(w =" in t for t in texts)


def test_plot_needs_exactly_one_range():
    with pytest.raises(sc.SolveError, match="exactly one symbol"):
        sc.plot(n * w, n=range(1, 3), w=range(1, 3))
    with pytest.raises(sc.SolveError, match="exactly one symbol"):
        sc.plot(n, n=5)


def test_a_value_beyond_floating_point_is_refused_where_it_overflows():
    """n**200 reached matplotlib as exact ints and failed with a raw OverflowError."""
    with pytest.raises(sc.SolveError, match=r"n\*\*200 is too large to plot at n=35.*"
                                            r"Received: n=35"):
        sc.plot(n**200, n=range(1, 100))
    fig = sc.plot(n**200, n=range(1, 35))  # 34**200 < 1.8e308 still draws
    assert fig.axes[0].get_lines()[0].get_ydata()[-1] == float(34**200)


def test_an_expression_that_is_not_a_number_is_refused_naming_it():
    """An undefined function f(n) failed with a raw `Cannot convert expression to float`."""
    with pytest.raises(sc.SolveError, match=r"the expression f\(n\) is not a number at n=1 "
                                            r"\(its value there is f\(1\)\)"):
        sc.plot(sympy.Function("f")(n), n=range(1, 30))


@pytest.mark.parametrize("budget", [np.int64(100_000), np.float64(1e5), sympy.Float(100_000),
                                    sympy.Integer(100_000), Fraction(100_000),
                                    Decimal(100_000)],
                         ids=["numpy-int", "numpy-float", "sympy-Float", "sympy-Integer",
                              "Fraction", "Decimal"])
def test_a_budget_of_any_real_number_type_is_accepted(budget):
    """NumPy integers, SymPy Floats and Decimals were refused as not positive finite
    numbers, though sc.solve_budget accepts them."""
    fig = sc.plot(sc.zoo.textbook.free_width(), n=range(1, 400), budget=budget)
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts == ["free_width (n = 323)", "budget 100,000"]


@pytest.mark.parametrize("budget", [True, np.True_, float("nan"), float("inf"), -1, 0, 1e5 + 0j,
                                    Decimal("NaN"), sympy.oo, sympy.nan, "100000"])
def test_a_budget_that_is_not_a_positive_finite_real_number_is_refused(budget):
    with pytest.raises(sc.SolveError, match="the budget of params must be a positive finite "
                                            "number. Received: budget="):
        sc.plot(sc.zoo.textbook.free_width(), n=range(1, 4), budget=budget)


def test_an_expression_is_labelled_by_itself_not_as_params():
    """The y axis of n**2 read `params = n²`: `y` defaults to "params", a model's quantity."""
    fig = sc.plot(n**2, n=range(1, 30), budget=200.5)
    assert fig.axes[0].get_ylabel() == "$n^{2}$"
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts == ["value (n = 14)", "budget 200.5"]


def test_the_solved_point_is_marked_on_a_range_that_runs_downwards():
    """With n=range(400, 0, -1) the legend said (n = 323) but the circle, the dotted line
    and the annotation were missing: the check assumed xs ascending."""
    fig = sc.plot(sc.zoo.textbook.free_width(), n=range(400, 0, -1), budget=1e5)
    ax = fig.axes[0]
    circles = [line for line in ax.get_lines() if list(line.get_xdata()) == [323]]
    assert circles and list(circles[0].get_ydata()) == [100_000]
    assert any(list(line.get_xdata()) == [323, 323] for line in ax.get_lines())  # axvline
    assert [t.get_text() for t in ax.texts] == ["n = 323\n100,000"]


def test_a_closed_form_too_long_for_the_axis_goes_to_the_legend():
    """peak_activation_memory = 4max(196608, ...) was longer than its panel was high and
    was cut at both ends of the image."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    model = sc.load_spec(MODELS / "residual_block.yaml")
    fig = sc.plot(model, w=range(1, 100), C=64, H=32, W=32,
                  y=["params", "macs", "peak_activation_memory"], budget={"macs": 1e8})
    ax = fig.axes[2]
    assert ax.get_ylabel() == "peak_activation_memory"
    entry = ax.get_legend().get_texts()[0].get_text()
    assert entry.startswith("residual_block: $4 \\max") and "2048 w + 65536" in entry
    assert fig.axes[0].get_ylabel() == "params = $1156 w + 256$"  # short ones stay
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    for panel in fig.axes:
        box = panel.yaxis.label.get_window_extent(renderer)
        assert 0 <= box.y0 and box.y1 <= fig.bbox.height, panel.get_ylabel()


def test_one_point_gets_integer_ticks():
    """A single point n=5 had ticks 4.74, 4.80, ... although n takes integer values."""
    fig = sc.plot(sc.zoo.textbook.free_width(), n=[5])
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
    assert ticks == [5]


def test_several_quantities_of_an_expression_are_refused():
    """An expression is its own quantity: y=["params", "macs"] drew it twice."""
    n = sc.symbols("n")
    with pytest.raises(sc.SolveError, match=r"an expression is its own quantity.*"
                                            r"Received: y=\['params', 'macs'\]"):
        sc.plot(n**2, n=range(1, 10), y=["params", "macs"])


def test_a_budget_on_a_quantity_not_plotted_is_refused_as_the_command_line_refuses_it(
        tmp_path, capsys):
    """It was ignored in silence: the figure showed params with no budget line, where
    ``symcnn plot ... --y params --budget macs=2.3e6`` exits 2 saying why."""
    import io

    from symcnn.cli import main

    model = sc.zoo.textbook.free_width()
    with pytest.raises(sc.SolveError) as err:
        sc.plot(model, n=range(1, 501), y=["params"], budget={"macs": 2.3e6})
    said = "'macs' is not among the plotted quantities (params)"
    assert said in str(err.value)
    code = main(["plot", str(MODELS / "free_width.yaml"), "n=1:500", "--y", "params",
                 "--budget", "macs=2.3e6", "-o", str(tmp_path / "x.png")], out=io.StringIO())
    assert code == 2 and said in capsys.readouterr().err
    # a budget on a plotted quantity still marks the largest value within it
    fig = sc.plot(model, n=range(1, 501), y=["params", "macs"], budget={"macs": 2.3e6})
    best = max(v for v in range(1, 501) if model.subs(n=v).macs <= 2.3e6)
    assert [line.get_label() for line in fig.axes[1].get_lines()][::3] == [
        f"free_width (n = {best})", "budget 2,300,000"]
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["free_width"]
