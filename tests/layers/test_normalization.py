"""Specification of the normalization layers: Keras' counting (moving statistics are
non-trainable) and the derivations that show it."""

from __future__ import annotations

import symcnn as sc
from symcnn.zoo import textbook
from symcnn import formulas

H, W, n = sc.symbols("H W n")


def _record(input_shape, layer):
    return sc.Sequential([sc.Input(input_shape), layer]).layers[0]


def _only(model):
    (record,) = model.layers
    return record.derivation


def test_batch_norm_parameters_follow_keras_counting():
    assert formulas.batch_norm_params(64) == (128, 128)
    assert formulas.batch_norm_params(64, center=False) == (64, 128)


def test_batch_norm_counts_four_per_channel_of_which_two_non_trainable():
    d = textbook.cifar().get_layer("batch_normalization").derivation
    assert str(d.params.formula) == "4*C" and d.params.value == 256
    assert str(d["non_trainable"].working) == "2*64" and d["non_trainable"].value == 128


def test_frozen_layer_derives_its_non_trainable_count():
    record = _record((8, 8, 3), sc.Conv2D(4, 3, trainable=False))
    d = record.derivation
    assert d["non_trainable"].value == record.non_trainable_params == d.params.value == 112


def _strided(torch, order, gaps, sizes):
    """A tensor of ``sizes`` stored in ``order`` (outermost first), cropped where ``gaps``."""
    position = {a: i for i, a in enumerate(order)}
    buffer = torch.zeros([sizes[a] + gaps[a] for a in order])
    for a, cropped in enumerate(gaps):
        if cropped:
            buffer = buffer.narrow(position[a], 1, sizes[a])
    return buffer.permute([position[a] for a in range(len(sizes))]).requires_grad_()


def test_batch_norm_states_the_memory_format_pytorch_writes():
    """PyTorch's batch norm writes a new tensor, contiguous or (4 or 5 axes stored channels
    last) channels last; Keras' BatchNormalization over the last axis is run by to_torch on
    the axes moved channels first. For every order of the input's axes, with or without a
    cropped axis, the stated layout says where PyTorch's contiguous() and nn.Linear's fold
    of the result copy, as PyTorch does it."""
    import itertools

    from tests.conftest import require

    torch = require("torch")
    from symcnn.layers.layout import Layout, fold_copy
    from symcnn.layers.views import contiguous_copy

    def copies(a, b):
        return int(a.untyped_storage().data_ptr() != b.untyped_storage().data_ptr())

    for rank in (3, 4, 5):
        for order in itertools.permutations(range(rank)):
            if rank == 5 and order[0] != 0:  # 5 axes: the batch outermost, for time
                continue
            for cropped in (None, *range(rank)):
                gaps = [a == cropped for a in range(rank)]
                layout = Layout(order, frozenset([cropped]) - {None}, grad=True)
                for sizes in itertools.product((1, 2), repeat=rank - 1):
                    sizes = (2, *sizes)  # two values per channel at least
                    x = _strided(torch, order, gaps, sizes)
                    for keras in (False, True):
                        shape = sizes[1:]
                        if keras:  # Keras' channels last: PyTorch's dim 1 is the last axis
                            bn = sc.BatchNormalization()
                            y = torch.nn.functional.batch_norm(
                                x.movedim(-1, 1), None, None, training=True).movedim(1, -1)
                        else:
                            bn = getattr(sc.nn, f"BatchNorm{rank - 2}d")(shape[0])
                            y = torch.nn.functional.batch_norm(x, None, None, training=True)
                        (stated,) = bn.layout_for([layout], [shape], [shape])
                        if stated is None:
                            continue
                        assert (contiguous_copy(stated, sizes), fold_copy(stated, sizes)) == (
                            copies(y, y.contiguous()), copies(y, y.reshape(-1, sizes[-1]))
                        ), (order, cropped, sizes, keras)
