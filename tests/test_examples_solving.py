"""The budget examples print answers that building the networks confirms."""

import importlib.util
import pathlib
import sys

import pytest

import symcnn as sc

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(module, capsys, monkeypatch, *args):
    monkeypatch.setattr(sys, "argv", [module.__file__, *args])
    module.main()
    return capsys.readouterr().out


def test_free_width_example_answers_323(capsys, monkeypatch):
    out = run(load("budget_free_width"), capsys, monkeypatch)
    assert "widest n with params(n) <= 100,000: n = 323" in out
    assert "heights that use every row: Range(31, oo, 8)" in out


def test_vgg_example_widest_w_under_5m_is_confirmed_by_building_it(capsys, monkeypatch):
    example = load("budget_vgg_width")
    out = run(example, capsys, monkeypatch)
    best = int(out.split("1. widest w with params <= 5,000,000: w = ")[1].split()[0])
    at = example.vgg([k * best for k in (1, 2, 4, 4, 8, 8, 8, 8)])
    over = example.vgg([k * (best + 1) for k in (1, 2, 4, 4, 8, 8, 8, 8)])
    assert at.params <= 5_000_000 < over.params
    assert "2. the same with free widths c1..c8 tied at solve time: w = 47" in out


def test_compound_scaling_closed_forms_equal_the_networks_built_layer_by_layer():
    example = load("budget_compound_scaling")
    phi = sc.symbols("phi")
    params, macs = example.closed_forms(phi)
    for p in (1, 2):
        built = example.network(p)
        assert (built.params, built.macs) == (params.subs(phi, p), macs.subs(phi, p))


@pytest.mark.parametrize("args, answer", [((), "phi = 4"), (("--macs", "2e9"), "phi = 2")])
def test_compound_scaling_example_answers_within_both_budgets(capsys, monkeypatch, args, answer):
    out = run(load("budget_compound_scaling"), capsys, monkeypatch, *args)
    assert f"MACs: {answer}" in out
    assert "fits" in out and "over budget" in out
