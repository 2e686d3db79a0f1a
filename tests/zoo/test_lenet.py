"""LeNet-5's partially connected C3 layer (TableConv2D) against a torch implementation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn.zoo.lenet import LENET5_C3_TABLE, TableConv2D
from tests.conftest import require


@st.composite
def tables(draw):
    maps = draw(st.integers(1, 6))
    outputs = draw(st.integers(1, 5))
    table = [tuple(sorted(draw(st.sets(st.integers(0, maps - 1), min_size=1, max_size=maps))))
             for _ in range(outputs)]
    return maps, tuple(table)


@pytest.mark.frameworks
@settings(max_examples=15)
@given(spec=tables(), kernel=st.integers(1, 4), size=st.tuples(st.integers(4, 11),
                                                               st.integers(4, 11)))
def test_table_convolution_matches_torch_in_shape_and_count(spec, kernel, size):
    torch = require("torch")
    from tests.support.torch_models import TableConv2d, count_parameters

    maps, table = spec
    model = sc.Sequential([sc.Input((*size, maps)), TableConv2D(table, kernel)])
    reference = TableConv2d(table, kernel)
    out = reference(torch.zeros(1, maps, *size))
    assert model.params == count_parameters(reference)
    h, w, c = model.output_shape
    assert (c, h, w) == tuple(out.shape[1:])


def test_c3_has_the_papers_1516_parameters_and_60_connections():
    assert sum(len(c) for c in LENET5_C3_TABLE) == 60
    m = sc.Sequential([sc.Input((14, 14, 6)), TableConv2D(LENET5_C3_TABLE, 5)])
    assert m.params == 60 * 25 + 16


def test_a_table_naming_a_missing_input_map_is_refused():
    with pytest.raises(sc.ShapeError, match="uses input map 5, but the input has 4 maps"):
        sc.Sequential([sc.Input((14, 14, 4)), TableConv2D(((0, 5),), 3)])


@pytest.mark.parametrize("bad", [(), ((),), ((0, 0),), ((-1,),), "012", ((0.5,),)])
def test_connections_must_be_tuples_of_distinct_indices(bad):
    with pytest.raises(sc.LayerArgumentError, match=r"TableConv2D: `connections`.*Received: connections="):
        TableConv2D(bad, 3)


def test_lenet5_counts_60000_trained_and_840_fixed_parameters_at_32x32():
    m = sc.zoo.lenet5((32, 32, 1))
    assert (m.trainable_params, m.non_trainable_params) == (60000, 840)
    assert [r.params for r in m.layers if r.params] == [156, 12, 1516, 32, 48120, 10164, 840]
