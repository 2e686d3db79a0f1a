"""Renderers build each layer's derivation when they reach its row and drop it after
(issue 16): without an assumption nothing is derived up front, so a deep model's rendering
keeps no thousands of derivations alive (which made the garbage collector walk the whole
model again and again); the output is the same (the golden files pin it)."""

from __future__ import annotations

import gc
import weakref

import pytest

import symcnn as sc
from symcnn.render import context


def deep(depth: int = 30):
    H, W = sc.symbols("H W")
    x = inputs = sc.Input((H, W, 3))
    for _ in range(depth):
        x = sc.Conv2D(8, 3, padding="valid", use_bias=False)(x)
    return sc.Model(inputs, x, name="deep")


@pytest.fixture
def derived(monkeypatch):
    """Every derivation the renderers build, as weak references, in order."""
    made: list = []
    real = context.derive

    def derive(record, assume=None):
        d = real(record, assume)
        made.append(weakref.ref(d))
        return d

    monkeypatch.setattr(context, "derive", derive)
    return made


def test_a_context_without_assumption_derives_nothing_before_the_rows(derived):
    model = deep()
    ctx = context.RenderContext(model, None, "to_markdown")
    assert derived == [] and len(ctx.derivations) == len(model._records)
    assert [d.name for d in ctx.derivations] == [r.name for r in model._records]
    assert len(derived) == len(model._records)


@pytest.mark.parametrize("render", ["to_markdown", "to_latex", "to_html"])
def test_a_table_keeps_at_most_one_derivation_alive_at_a_time(derived, render):
    model = deep()
    gc.collect()
    alive_at_each_row = []
    real = context.derive

    def counting(record, assume=None):
        alive_at_each_row.append(sum(ref() is not None for ref in derived))
        return real(record, assume)

    context.derive = counting  # monkeypatched back by the fixture
    getattr(model, render)()
    assert len(derived) == len(model._records)
    assert max(alive_at_each_row) <= 1, alive_at_each_row


def test_with_an_assumption_every_derivation_is_built_first_to_state_it(derived):
    H = sc.symbols("H")
    model = sc.Sequential([sc.Input((H, H, 3)), sc.MaxPooling2D(2), sc.MaxPooling2D(2)])
    ctx = context.RenderContext(model, {H: 4}, "to_markdown")
    assert len(derived) == 2 and ctx.used == [((H,), 4)]
    assert "Assuming H divisible by 4" in model.to_markdown(assume_divisible={H: 4})


def test_an_unknown_notation_is_refused_before_any_row():
    with pytest.raises(sc.SymcnnError, match="unknown preset 'nope'"):
        deep(2).to_markdown(notation="nope")
