"""sc.plot: what the figure shows is what the solver and the closed form say."""

import subprocess
import sys

import pytest
import sympy

import symcnn as sc

pytest.importorskip("matplotlib")

n, w = sc.symbols("n w")


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
