"""TimeDistributed's shape errors say what the wrapped layer sees on each step, and the rank
its own input needs, as Keras 3 decides it. (Counts, shapes and MACs:
tests/interop/test_from_keras_repeat_vector.py; training memory:
tests/training/test_time_distributed_memory.py.)"""

from __future__ import annotations

import re

import pytest

import symcnn as sc

from ..conftest import require

#: wrapped layers (symcnn, Keras); every size of the inputs tried is 4
WRAPPED = {
    "LSTM": (lambda: sc.LSTM(2), lambda L: L.LSTM(2)),
    "Conv2D": (lambda: sc.Conv2D(4, 3), lambda L: L.Conv2D(4, 3)),
    "Conv1D": (lambda: sc.Conv1D(4, 3), lambda L: L.Conv1D(4, 3)),
}


def _keras_ranks(keras, make) -> list:
    """The input ranks (without the batch axis) Keras' TimeDistributed runs on, from 2 to 6:
    called on a tensor (a symbolic ``keras.Input`` does not check the wrapped layer's rank)."""
    import numpy as np

    ranks = []
    for rank in range(2, 7):
        try:
            keras.layers.TimeDistributed(make(keras.layers))(np.zeros((1,) + (4,) * rank,
                                                                       "float32"))
        except (ValueError, TypeError, IndexError, RuntimeError):
            continue
        ranks.append(rank)
    return ranks


@pytest.mark.frameworks
@pytest.mark.parametrize("case", sorted(WRAPPED))
def test_a_rank_error_names_the_step_the_wrapped_layer_sees_and_the_rank_keras_takes(case):
    """``TimeDistributed(LSTM(2))`` on ``(T, 3)`` said the input had rank 1, shape (3,): the
    wrapped LSTM's complaint about one step, read as TimeDistributed's own input."""
    keras = require("keras")
    ours, theirs = WRAPPED[case]
    (taken,) = _keras_ranks(keras, theirs)
    for rank in range(2, 7):
        shape = ("T",) + (4,) * (rank - 1)
        if rank == taken:
            sc.Sequential([sc.Input(shape), sc.TimeDistributed(ours())])
            continue
        with pytest.raises(sc.ShapeError) as err:
            sc.Sequential([sc.Input(shape), sc.TimeDistributed(ours())])
        step = sc.layers.base.format_shape(shape[1:])
        wrapped = ours().type_name
        assert re.search(rf"the wrapped {wrapped} sees each step, of shape {re.escape(step)}, "
                         rf"and expects an input of rank {taken - 1} ", str(err.value))
        assert f"so TimeDistributed's input needs rank {taken} (one more than the wrapped " \
               f"layer's" in str(err.value)
        assert str(err.value).endswith(f"Received: input of rank {rank}, "
                                       f"shape={sc.layers.base.format_shape(shape)}")


def test_the_example_of_the_report_reads_as_the_wrapped_layer_sees_it():
    with pytest.raises(sc.ShapeError) as err:
        sc.Sequential([sc.Input(("T", 3)), sc.TimeDistributed(sc.LSTM(2))])
    assert str(err.value) == (
        "TimeDistributed layer 'time_distributed' (#0) on input shape (T, 3): the wrapped LSTM "
        "sees each step, of shape (3,), and expects an input of rank 2 (steps, features, "
        "without the batch axis); so TimeDistributed's input needs rank 3 (one more than the "
        "wrapped layer's: the steps first). Received: input of rank 2, shape=(T, 3)")


@pytest.mark.frameworks
def test_other_errors_of_the_wrapped_layer_name_the_step_it_sees():
    keras = require("keras")
    with pytest.raises(ValueError):
        keras.layers.TimeDistributed(keras.layers.Conv2D(3, 3))(keras.Input((5, 2, 2, 3)))
    with pytest.raises(sc.ShapeError, match=r"on input shape \(T, 2, 2, 3\): the wrapped Conv2D "
                                            r"sees each step, of shape \(2, 2, 3\): kernel_size "
                                            r"is larger than the input"):
        sc.Sequential([sc.Input(("T", 2, 2, 3)), sc.TimeDistributed(sc.Conv2D(3, 3))])
