"""ResNet by blocks per stage: ``zoo.resnet(blocks=(a, b, c, d), bottleneck=...)``."""

from __future__ import annotations

import pytest
import sympy

import symcnn as sc
from tests.conftest import require

a, b, c, d = sc.symbols("a b c d")


@pytest.mark.parametrize("bottleneck", [True, False])
def test_params_are_linear_in_each_count_and_equal_pytorch(bottleneck):
    torch = require("torch")
    from tests.support import torch_models as tm

    model = sc.zoo.resnet(blocks=(a, b, c, d), bottleneck=bottleneck, classes=10)
    params = model.trainable_params
    assert all(sympy.degree(params, s) == 1 for s in (a, b, c, d))
    for counts in ((1, 1, 1, 1), (2, 2, 2, 2), (3, 4, 6, 3), (1, 3, 2, 5)):
        with torch.device("meta"):
            net = tm.ResNet(tm.Bottleneck if bottleneck else tm.BasicBlock, list(counts), 10)
        expected = tm.count_parameters(net)
        assert params.subs(dict(zip((a, b, c, d), counts))) == expected
        assert model.subs(a=counts[0], b=counts[1], c=counts[2], d=counts[3]).trainable_params \
            == expected
        assert sc.zoo.resnet(blocks=counts, bottleneck=bottleneck, classes=10).trainable_params \
            == expected


def test_published_depths_are_the_numeric_blocks():
    assert sc.zoo.resnet(blocks=(3, 4, 6, 3), bottleneck=True).trainable_params == 25557032
    assert sc.zoo.resnet(blocks=(2, 2, 2, 2), bottleneck=False).trainable_params == \
        sc.zoo.resnet18().trainable_params


def test_the_deepest_third_stage_under_a_budget_equals_brute_force():
    model = sc.zoo.resnet(blocks=(3, 4, c, 3), bottleneck=True)
    found = sc.solve_budget(model.trainable_params, 40_000_000, c)
    brute = max(n for n in range(1, 60) if model.trainable_params.subs(c, n) <= 40_000_000)
    assert found == brute


def test_blocks_arguments_are_checked():
    with pytest.raises(sc.LayerArgumentError, match="bottleneck"):
        sc.zoo.resnet(blocks=(1, 1, 1, 1))
    with pytest.raises(sc.LayerArgumentError, match="four counts"):
        sc.zoo.resnet(blocks=(1, 1, 1), bottleneck=True)
    with pytest.raises(sc.LayerArgumentError, match="blocks"):
        sc.zoo.resnet(blocks=(1, 0, 1, 1), bottleneck=True)
