"""``input_span`` with padding that copies the input, models of several inputs, and the
positions it takes.

Found by a hunt for wrong receptive fields, each pinned here against PyTorch or Keras 3
(torch backend) by NaN perturbation: an input position is read by an output position
exactly when a NaN put there reaches it (every input position, every output position,
several sizes):

- reflection, replication and circular padding (``nn.*Pad*d``, ``F.pad(mode=...)`` read
  by ``from_torch``, a convolution's ``padding_mode``) hold copies of input positions, not
  zeros: an output near the border reads the mirrored, end or wrapped positions. They
  were cut as padding (``ReflectionPad1d(2)`` then ``Conv1d(1, 1, 3)``: output 0 gave
  ``(0, 0)``, PyTorch reads 0 to 2; ``ReplicationPad1d(3)``: None, PyTorch reads 0). The
  window (``receptive_field``, ``padding=True``) stays the zero-padded one.
- inputs of different sizes have positions of their own: the spans of the paths from each
  were united into one number pair that named no input's positions. ``input_span`` now
  answers where every input read gives the same span and otherwise raises a ``CostError``
  stating each input's span; ``receptive_field`` is None where the inputs' fields differ.
- ``position`` is checked with ``padding=True`` too (``(1.5,)`` gave a window at 1.5), and
  a value that is no tuple or holds no integer is a ``CostError`` naming it (it was an
  AttributeError or a TypeError).
"""

import itertools

import pytest

import symcnn as sc
from symcnn.receptive import input_span

from .conftest import require

torch = require("torch")
nn = torch.nn
F = torch.nn.functional


# ----------------------------------------------------------------------------- PyTorch reads


def nan_reads(run, shapes, out_shape, position):
    """Per input (channels first, no batch axis), the positions along each spatial axis
    whose NaN reaches output ``position`` (all channels); None for an input not read."""
    found = []
    for j, shape in enumerate(shapes):
        hits = set()
        for at in itertools.product(*(range(n) for n in shape[1:])):
            xs = [torch.ones((1, *s)) for s in shapes]
            xs[j][(0, slice(None), *at)] = float("nan")
            with torch.no_grad():
                out = run(*xs)
            if torch.isnan(out[(0, slice(None), *position)]).any():
                hits.add(at)
        found.append(None if not hits else tuple(
            (min(h[a] for h in hits), max(h[a] for h in hits)) for a in range(len(shape) - 1)))
    return found


def every_position(shape):
    return itertools.product(*(range(int(n)) for n in shape[1:]))


def check_against_torch(module, shape):
    """``input_span`` of the model ``from_torch`` reads equals PyTorch's reads at every
    output position; False where PyTorch refuses the size (nothing compared)."""
    try:
        with torch.no_grad():
            out_shape = tuple(module(torch.ones((1, *shape))).shape[1:])
    except RuntimeError:
        return False
    model = sc.from_torch(module, input_shape=shape)
    assert tuple(model.output_shape) == out_shape
    for o in every_position(out_shape):
        (expected,) = nan_reads(module, [shape], out_shape, o)
        assert input_span(model, o) == (expected or (None,) * (len(shape) - 1)), (o, shape)
    return True


class Padded(nn.Module):
    """``F.pad`` in ``forward`` (read by ``from_torch`` as the padding module of its mode)."""

    def __init__(self, pad, mode, conv):
        super().__init__()
        self.pad, self.mode, self.conv = pad, mode, conv

    def forward(self, x):
        return self.conv(F.pad(x, self.pad, mode=self.mode))


def conv1(k=3, **kw):
    return nn.Conv1d(1, 1, k, **kw)


CHAINS_1D = {
    "reflect pad": lambda: nn.Sequential(nn.ReflectionPad1d(2), conv1()),
    "reflect pad, uneven, dilated": lambda: nn.Sequential(nn.ReflectionPad1d((3, 1)),
                                                          conv1(2, dilation=2)),
    "reflect pad cropping one side": lambda: nn.Sequential(nn.ReflectionPad1d((-1, 2)),
                                                           conv1()),
    "replicate pad": lambda: nn.Sequential(nn.ReplicationPad1d(3), conv1()),
    "replicate pad, strided": lambda: nn.Sequential(nn.ReplicationPad1d((0, 4)),
                                                    conv1(stride=2)),
    "replicate pad cropping one side": lambda: nn.Sequential(nn.ReplicationPad1d((2, -1)),
                                                             conv1(2)),
    "circular pad": lambda: nn.Sequential(nn.CircularPad1d(2), conv1()),
    "circular pad cropping one side": lambda: nn.Sequential(nn.CircularPad1d((-2, 3)),
                                                            conv1(2)),
    "circular pad, other side cropped": lambda: nn.Sequential(nn.CircularPad1d((3, -2)),
                                                              conv1(2, dilation=2)),
    "two copying pads": lambda: nn.Sequential(nn.ReflectionPad1d(1), nn.ReplicationPad1d(2),
                                              conv1(), nn.MaxPool1d(2)),
    "conv reflect": lambda: nn.Sequential(conv1(padding=1, padding_mode="reflect", stride=2)),
    "conv reflect, dilated, then pooled": lambda: nn.Sequential(
        conv1(padding=2, dilation=2, padding_mode="reflect"), nn.MaxPool1d(2)),
    "conv replicate same": lambda: nn.Sequential(conv1(4, padding="same",
                                                       padding_mode="replicate")),
    "conv circular": lambda: nn.Sequential(conv1(padding=2, padding_mode="circular")),
    "conv circular after zero padding": lambda: nn.Sequential(
        conv1(padding=1), conv1(padding=1, padding_mode="circular"), nn.AvgPool1d(2)),
    "F.pad reflect": lambda: Padded((2, 1), "reflect", conv1()),
    "F.pad replicate": lambda: Padded((1, 3), "replicate", conv1(2)),
    "F.pad circular": lambda: Padded((2, 2), "circular", conv1(3, dilation=2)),
}


@pytest.mark.parametrize("name", list(CHAINS_1D))
def test_copying_padding_reads_the_positions_pytorch_reads(name):
    """At every size PyTorch takes from 1 to 9 and every output position."""
    compared = [n for n in range(1, 10) if check_against_torch(CHAINS_1D[name](), (1, n))]
    assert len(compared) >= 3


@pytest.mark.parametrize("make", [
    lambda: nn.Sequential(nn.ReflectionPad2d((1, 2, 0, 3)), nn.Conv2d(1, 1, (3, 2))),
    lambda: nn.Sequential(nn.ReplicationPad2d(2), nn.Conv2d(1, 1, 3, stride=2)),
    lambda: nn.Sequential(nn.Conv2d(1, 1, 3, padding=1, padding_mode="circular")),
    lambda: Padded((1, 0, 2, 1), "reflect", nn.Conv2d(1, 1, 2)),
])
def test_copying_padding_in_two_dimensions_reads_the_positions_pytorch_reads(make):
    compared = [s for s in [(1, 4, 5), (1, 5, 3), (1, 6, 6)] if check_against_torch(make(), s)]
    assert compared


def test_the_reproducers_built_with_symcnn_nn():
    """The hunt's models, built with ``symcnn.nn`` rather than read from PyTorch."""
    cases = [(sc.nn.ReflectionPad1d(2), nn.ReflectionPad1d(2)),
             (sc.nn.ReplicationPad1d(3), nn.ReplicationPad1d(3)),
             (sc.nn.CircularPad1d(2), nn.CircularPad1d(2))]
    for ours, theirs in cases:
        m = sc.nn.Sequential(ours, sc.nn.Conv1d(1, 1, 3), input_shape=(1, 8))
        torch_model = nn.Sequential(theirs, conv1())
        for o in every_position(m.output_shape):
            (expected,) = nan_reads(torch_model, [(1, 8)], None, o)
            assert input_span(m, o) == expected
    m = sc.nn.Sequential(sc.nn.Conv1d(1, 1, 3, padding=2, padding_mode="circular"),
                         input_shape=(1, 8))
    (expected,) = nan_reads(conv1(padding=2, padding_mode="circular"), [(1, 8)], None, (0,))
    assert input_span(m, (0,)) == expected


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_a_repeated_copying_convolution_reads_what_the_written_out_chain_reads(mode):
    """``Repeat`` walks its block: each repetition maps its padding back to its input."""
    for n in (3, 6):
        # (a 1-wide convolution first: it states the channels-first layout, Repeat does not)
        m = sc.nn.Sequential(sc.nn.Conv1d(1, 1, 1),
                             sc.Repeat(sc.nn.Conv1d(1, 1, 3, padding=1, padding_mode=mode), 3),
                             input_shape=(1, n))
        chain = nn.Sequential(conv1(1), *(conv1(padding=1, padding_mode=mode) for _ in range(3)))
        for o in every_position(m.output_shape):
            (expected,) = nan_reads(chain, [(1, n)], None, o)
            assert input_span(m, o) == expected


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_the_window_is_the_zero_padded_one(mode):
    """``receptive_field`` and ``padding=True`` describe the window, padding positions
    included: the same as zero padding's (the padding holds copies, not zeros)."""
    def build(pad_mode, module):
        return sc.nn.Sequential(module, sc.nn.Conv1d(1, 1, 3, padding=1, padding_mode=pad_mode,
                                                     stride=2), input_shape=(1, 9))

    name = {"reflect": "Reflection", "replicate": "Replication", "circular": "Circular"}[mode]
    copying = build(mode, getattr(sc.nn, f"{name}Pad1d")((2, 1)))
    zeros = build("zeros", sc.nn.ZeroPad1d((2, 1)))
    assert copying.receptive_field == zeros.receptive_field
    for o in every_position(zeros.output_shape):
        assert input_span(copying, o, padding=True) == input_span(zeros, o, padding=True)


def test_symbolic_sizes_refuse_where_the_copies_are_read_and_answer_inside():
    """Which positions the padding copies depends on the length: no closed form here, so
    the border is a CostError (a substitution answers); an output whose window stays inside
    the input is answered on the symbol."""
    m = sc.nn.Sequential(sc.nn.ReflectionPad1d(2), sc.nn.Conv1d(1, 1, 3), input_shape=(1, "L"))
    with pytest.raises(sc.CostError, match="mode='reflect'"):
        input_span(m, (0,))
    torch_model = nn.Sequential(nn.ReflectionPad1d(2), conv1())
    for n in (6, 9):
        numeric = m.subs(L=n)
        for o in every_position(numeric.output_shape):
            (expected,) = nan_reads(torch_model, [(1, n)], None, o)
            assert input_span(numeric, o) == expected
        (expected,) = nan_reads(torch_model, [(1, n)], None, (2,))
        assert input_span(m, (2,)) == expected  # reads 0 .. 2 for every L PyTorch takes


# ----------------------------------------------------------------------------- several inputs


class TwoInputs(nn.Module):
    """Inputs of lengths ``a`` and ``2*a``: a 'same' convolution of one beside a pooling of
    the other, concatenated along the channels."""

    def __init__(self):
        super().__init__()
        self.conv, self.pool = conv1(padding=1), nn.MaxPool1d(2)

    def forward(self, a, b):
        return torch.cat([self.conv(a), self.pool(b)], dim=1)


class SameSizes(nn.Module):
    def __init__(self):
        super().__init__()
        self.left, self.right = conv1(padding=1), conv1(padding=1)

    def forward(self, a, b):
        return self.left(a) + self.right(b)


def test_inputs_of_their_own_sizes_are_never_united():
    """Each output either reads the same span of every input it reads (that span), or the
    spans differ and it is a CostError stating PyTorch's span of each input."""
    for n in (4, 7, 10):
        shapes = [(1, n), (1, 2 * n)]
        module = TwoInputs()
        m = sc.from_torch(module, input_shape=shapes)
        assert m.receptive_field is None  # size 3, jump 1 along a; size 2, jump 2 along b
        refused = 0
        for o in every_position(m.output_shape):
            spans = [s for s in nan_reads(module, shapes, None, o) if s is not None]
            if all(s == spans[0] for s in spans):
                assert input_span(m, o) == spans[0]
                continue
            refused += 1
            with pytest.raises(sc.CostError, match="several model inputs") as err:
                input_span(m, o)
            for j, span in enumerate(spans):
                assert f"input {j}" in str(err.value) and str(span) in str(err.value)
        assert refused


def test_inputs_read_alike_keep_their_field():
    """Two inputs of one size through the same windows: every output reads the same span of
    each, which is PyTorch's, and the field is the one input's field."""
    shapes = [(1, 8), (1, 8)]
    module = SameSizes()
    m = sc.from_torch(module, input_shape=shapes)
    one = sc.nn.Sequential(sc.nn.Conv1d(1, 1, 3, padding=1), input_shape=(1, 8))
    assert m.receptive_field == one.receptive_field
    for o in every_position(m.output_shape):
        first, second = nan_reads(module, shapes, None, o)
        assert first == second and input_span(m, o) == first


def test_the_keras_reproducer_against_keras():
    keras = require("keras")
    import numpy as np

    x1, x2 = sc.Input((10, 1)), sc.Input((20, 1))
    m = sc.Model([x1, x2], sc.Concatenate()([sc.Conv1D(1, 3, padding="same")(x1),
                                              sc.MaxPooling1D(2)(x2)]))
    k1, k2 = keras.Input((10, 1)), keras.Input((20, 1))
    km = keras.Model([k1, k2], keras.layers.Concatenate()(
        [keras.layers.Conv1D(1, 3, padding="same")(k1), keras.layers.MaxPooling1D(2)(k2)]))
    assert m.receptive_field is None
    for o in range(10):
        spans = []
        for j, n in enumerate((10, 20)):
            hits = []
            for at in range(n):
                xs = [np.ones((1, 10, 1), "float32"), np.ones((1, 20, 1), "float32")]
                xs[j][0, at, 0] = np.nan
                out = np.asarray(keras.ops.convert_to_numpy(km(xs)))
                if np.isnan(out[0, o]).any():
                    hits.append(at)
            spans.append((min(hits), max(hits)))
        if spans[0] == spans[1]:
            assert input_span(m, (o,)) == (spans[0],)
        else:
            with pytest.raises(sc.CostError) as err:
                input_span(m, (o,))
            assert str((spans[0],)) in str(err.value) and str((spans[1],)) in str(err.value)


# ----------------------------------------------------------------------------- positions


@pytest.fixture
def model():
    return sc.nn.Sequential(sc.nn.ReflectionPad1d(2), sc.nn.Conv1d(1, 1, 3), input_shape=(1, 8))


@pytest.mark.parametrize("padding", [False, True])
@pytest.mark.parametrize("position", [(1.5,), ("x",), (None,), ([1],), (True,), 3, "0"])
def test_a_position_that_is_no_tuple_of_integers_is_a_cost_error_naming_it(
        model, position, padding):
    with pytest.raises(sc.CostError, match="position") as err:
        input_span(model, position, padding=padding)
    assert f"position={position!r}" in str(err.value)


@pytest.mark.parametrize("position", [(100,), (-5,), (10,)])
def test_a_position_outside_the_output_is_refused(model, position):
    """(``padding=True`` states the window's formula at any integer position: pinned in
    test_receptive_reads.py.)"""
    with pytest.raises(sc.CostError, match="outside the output"):
        input_span(model, position)


def test_integer_positions_of_other_types_are_taken(model):
    np = require("numpy")
    import sympy

    expected = input_span(model, (3,))
    assert input_span(model, [3]) == expected
    assert input_span(model, (np.int64(3),)) == expected
    assert input_span(model, (sympy.Integer(3),)) == expected
