"""Which layer a row is about: a table's footer lines (``Total params``, ``Trainable
params``) are skipped but a layer whose name starts so (``trainable_head``, silently
dropped: ok with 0 rows) is marked; a cell that names a layer is that layer, a position only
when no layer has the name (PyTorch's ``0.0``, ``1``, ``2`` were read as positions:
symcnn's own table of such a model scored 0.625)."""

from __future__ import annotations

import re

import pytest

import symcnn as sc

from ..conftest import require


def named(*names):
    layers = [sc.Dense(4, name=name) for name in names]
    return sc.Sequential([sc.Input((8,)), *layers])


def table(rows) -> str:
    return "| layer | params |\n|---|---|\n" + "".join(f"| {a} | {b} |\n" for a, b in rows)


@pytest.mark.parametrize("name", ["trainable_head", "total", "total_params", "non-linear",
                                  "Total params", "optimizer_params"])
def test_a_layer_whose_name_reads_like_a_footer_is_marked(name):
    model = named("first", name)
    report = sc.check(model, table([("first", 36), (name, 999)]))
    assert [r.layer for r in report.rows] == ["first", name]
    assert report.rows[1].diagnosis == "unexplained" and not report.ok
    assert sc.check(model, table([(name, 8 * 4 + 4 + 0)])).rows[0].diagnosis is not None
    assert sc.check(model, table([(name, 4 * 4 + 4)])).ok


@pytest.mark.parametrize("name", ["trainable_head", "total", "non-trainable_x"])
def test_the_footers_of_symcnns_own_tables_are_skipped_but_no_layer(name):
    model = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3), sc.BatchNormalization(),
                           sc.Flatten(), sc.Dense(10, name=name)])
    layers = [r.name for r in model._records]
    for text in (model.to_markdown(), model.summary_text()):
        report = sc.check(model, text)
        assert report.ok and [r.layer for r in report.rows] == layers
    footers = "".join(f"| {label} | | {value} |\n" for label, value in (
        ("**Total params**", "1,578"), ("Trainable params: 1,570", ""),
        ("Non-trainable params", "8"), ("Total MACs", "3,000"), ("Total", "1578")))
    text = "| layer | output | params |\n|---|---|---|\n" + \
        f"| {name} | (10,) | 1450 |\n" + footers
    report = sc.check(model, text)
    assert [r.layer for r in report.rows] == [name] and report.ok


def test_pytorch_layers_named_by_number_are_read_by_name():
    require("torch")
    from torch import nn

    net = nn.Sequential(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()), nn.Conv2d(8, 4, 3),
                        nn.Flatten(), nn.Linear(64, 10))
    model = sc.from_torch(net, input_shape=(3, 8, 8))
    layers = [r.name for r in model._records]
    assert layers == ["0.0", "0.1", "1", "2", "3"]
    # the counts are PyTorch's own
    counts = [sum(p.numel() for p in m.parameters()) for m in (net[0][0], net[0][1], net[1],
                                                                 net[2], net[3])]
    for text in (model.to_markdown(), model.summary_text()):
        report = sc.check(model, text)
        assert [r.layer for r in report.rows] == layers
        assert report.ok and report.score == 1.0
    report = sc.check(model, table([(name, count) for name, count in zip(layers, counts)]))
    assert report.ok and [r.layer for r in report.rows] == layers
    # text is a name first, an int always a position
    assert sc.check(model, [{"layer": "1", "params": counts[2]}]).rows[0].layer == "1"
    assert sc.check(model, [{"layer": 1, "params": counts[1]}]).rows[0].layer == "0.1"
    assert sc.check(model, [{"layer": "#4", "params": counts[4]}]).rows[0].layer == "3"


def test_a_number_that_names_no_layer_is_a_position():
    model = named("a", "b", "c")
    rows = sc.check(model, table([("0", 36), ("#2", 20), ("1", 20)])).rows
    assert [r.layer for r in rows] == ["a", "c", "b"]
    row = sc.check(model, table([("7", 36)])).rows[0]
    assert row.diagnosis == "unknown_layer"
    assert re.search(r"has 3 layers .*Received: layer='7'", row.problem)
