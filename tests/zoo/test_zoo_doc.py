"""docs/zoo.md is generated from the zoo's code, is up to date, and its examples run."""

from __future__ import annotations

import doctest
import functools
import importlib.util
import re
import sys
from pathlib import Path

import pytest
import sympy

import symcnn as sc

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "zoo.md"


@functools.lru_cache(maxsize=None)
def generator():
    spec = importlib.util.spec_from_file_location("make_zoo_doc", ROOT / "scripts" / "make_zoo_doc.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_committed_zoo_page_is_what_the_script_generates():
    assert PAGE.read_text() == generator().render(), (
        "docs/zoo.md is out of date: run python scripts/make_zoo_doc.py")


def test_zoo_page_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.DOTALL)
    test = doctest.DocTestParser().get_doctest("\n".join(blocks), {}, "docs/zoo.md",
                                               str(PAGE), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 20 and result.failed == 0


def test_every_zoo_network_has_a_section():
    titles = {e.function for e in generator().ENTRIES}
    networks = {n for n in sc.zoo.__all__ if callable(getattr(sc.zoo, n))
                and n not in ("resnet", "vgg", "densenet", "make_divisible", "TableConv2D",
                              "vit", "convnext", "swin")}
    assert networks <= titles


@pytest.mark.parametrize("index", range(len(generator().ENTRIES)))
def test_abbreviated_forms_expand_back_to_the_models_counts(index):
    entry = generator().ENTRIES[index]
    forms = generator().closed_forms(entry)
    back = {}
    for symbol, definition in reversed(forms.definitions):
        back[symbol] = definition.xreplace(back)
    if forms.in_map:
        h, w = sympy.symbols("h w", positive=True, integer=True)
        back.update({h: forms.features.output_shape[0], w: forms.features.output_shape[1]})

    def expand(expr):
        for _ in range(3):  # definitions refer to each other (s_c uses m_c)
            expr = expr.xreplace(back)
        return sympy.expand(expr)

    assert expand(forms.trainable) == forms.full.trainable_params
    assert expand(forms.non_trainable) == forms.full.non_trainable_params
    assert tuple(expand(d) for d in forms.feature_map) == forms.features.output_shape
