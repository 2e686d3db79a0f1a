"""``sc.from_torch`` reads arithmetic between a tensor and a number as ``nn.ScalarOp``.

It read ``x * 2``, ``x + 1``, ``-x``, ``x / 3``, ``2 - x``, ``x ** 2``, ``torch.neg(x)``,
``x.mul(2)``, ... as the tensor itself: shapes, parameters and MACs were right, but
``to_torch`` of the model read computed another function, and training memory missed what
PyTorch keeps (``x ** 2`` keeps its input). Each is now one layer stating the operation and
the constant, which ``to_torch`` writes back as the Python operator and ``from_torch`` reads
back as itself. Checked against PyTorch: the exported module, given the original's state
dict, computes the original's outputs, and ``training_memory`` equals the bytes PyTorch's
autograd keeps (``tests/support/saved_tensors.py``) at batches 1 to 3, on random modules
mixing convolutions and linear layers with these operations (in-place ones too). A floor
division of a tensor, which no layer computes, and a constant of symbolic sizes are refused;
arithmetic on sizes stays arithmetic on sizes.
"""

import re

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn import nn
from symcnn.spec import model_from_spec, model_to_spec

from ..conftest import require
from ..support.saved_tensors import measure
from ..support.torch_models import own_module

pytestmark = pytest.mark.frameworks

B = sc.symbols("B")
SHAPE = (3, 5, 5)


def _described(layer) -> str:
    """``repr(layer)`` without its name."""
    return re.sub(r",? ?name='[^']*'", "", repr(layer)).replace("(, ", "(")


def _read(model, shape=SHAPE) -> list:
    """The layers ``from_torch`` reads after the inputs and the weighted modules, described."""
    return [_described(r.layer) for r in sc.from_torch(model, input_shape=shape).layers
            if r.type not in ("InputLayer", "Conv2d", "Linear")]


def _same_function_and_memory(module, shape=SHAPE, batches=(1, 2, 3)):
    """``from_torch(module).to_torch()`` with ``module``'s state dict computes ``module``'s
    outputs, and the model's training memory is what PyTorch keeps at each batch."""
    torch = require("torch")
    model = sc.from_torch(module, input_shape=shape)
    exported = model.to_torch()
    exported.load_state_dict(module.state_dict())
    x = torch.randn(3, *shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(exported.eval()(x), module.eval()(x), rtol=1e-4, atol=1e-5,
                                   equal_nan=True)
    closed = model.training_memory(batch=B, dtype="float32").activations
    for b in batches:
        assert closed.subs(B, b) == measure(module, x[:b].clone())[0], b
    return model


def _after_conv(forward):
    """``forward(torch, y)`` (``forward(torch, y, z)``) as :func:`own_module` runs it, on
    ``(3, 5, 5)`` inputs."""
    if forward.__code__.co_argcount == 3:
        return own_module(lambda torch, F, y, z: forward(torch, y, z))
    return own_module(lambda torch, F, y: forward(torch, y))


def _in_place(method, *args):
    """``y.<method>(*args)`` as a statement, then ``y``: what fx records as a call whose
    result is unused."""
    def forward(torch, y):
        getattr(y, method)(*args)
        return y
    return forward


def _plus_equals(torch, y):
    y += 1.5
    return y


def _op(op, constant, first=False):
    return _described(nn.ScalarOp(op, constant, constant_first=first))


#: ``forward(torch, y)`` and the layers read after the convolutions.
FORMS = {
    "y * 2": (lambda t, y: y * 2, [_op("multiply", 2)]),
    "2 * y": (lambda t, y: 2 * y, [_op("multiply", 2)]),
    "y.mul(2.5)": (lambda t, y: y.mul(2.5), [_op("multiply", 2.5)]),
    "torch.mul(y, 2)": (lambda t, y: t.mul(y, 2), [_op("multiply", 2)]),
    "torch.multiply(y, 2)": (lambda t, y: t.multiply(y, 2), [_op("multiply", 2)]),
    "y + 1": (lambda t, y: y + 1, [_op("add", 1)]),
    "1.5 + y": (lambda t, y: 1.5 + y, [_op("add", 1.5)]),
    "torch.add(y, 1, alpha=2)": (lambda t, y: t.add(y, 1, alpha=2), [_op("add", 2)]),
    "torch.add(y, other=1.5)": (lambda t, y: t.add(y, other=1.5), [_op("add", 1.5)]),
    "y.sub(1, alpha=2)": (lambda t, y: y.sub(1, alpha=2), [_op("subtract", 2)]),
    "y - 1": (lambda t, y: y - 1, [_op("subtract", 1)]),
    "2 - y": (lambda t, y: 2 - y, [_op("subtract", 2, True)]),
    "torch.rsub(y, 1)": (lambda t, y: t.rsub(y, 1), [_op("subtract", 1, True)]),
    "torch.rsub(y, 1, alpha=3)": (lambda t, y: t.rsub(y, 1, alpha=3),
                                  [_op("multiply", 3), _op("subtract", 1, True)]),
    "-y": (lambda t, y: -y, [_op("multiply", -1)]),
    "torch.neg(y)": (lambda t, y: t.neg(y), [_op("multiply", -1)]),
    "y.neg()": (lambda t, y: y.neg(), [_op("multiply", -1)]),
    "y / 3": (lambda t, y: y / 3, [_op("divide", 3)]),
    "y.div(3)": (lambda t, y: y.div(3), [_op("divide", 3)]),
    "torch.true_divide(y, 4.0)": (lambda t, y: t.true_divide(y, 4.0), [_op("divide", 4.0)]),
    "3 / y": (lambda t, y: 3 / y, [_op("divide", 3, True)]),
    "y ** 2": (lambda t, y: y ** 2, [_op("power", 2)]),
    "y.pow(3)": (lambda t, y: y.pow(3), [_op("power", 3)]),
    "torch.pow(y, 0.5)": (lambda t, y: t.pow(y, 0.5), [_op("power", 0.5)]),
    "2 ** y": (lambda t, y: 2 ** y, [_op("power", 2, True)]),
    "torch.pow(2, y)": (lambda t, y: t.pow(2, y), [_op("power", 2, True)]),
    "y.clamp(min=0.5)": (lambda t, y: y.clamp(min=0.5), [_op("maximum", 0.5)]),
    "y.mul_(2)": (_in_place("mul_", 2), [_op("multiply", 2)]),
    "y.add_(1, alpha=2)": (lambda t, y: y.add_(1, alpha=2), [_op("add", 2)]),
    "y.div_(4)": (_in_place("div_", 4), [_op("divide", 4)]),
    "y.pow_(2)": (_in_place("pow_", 2), [_op("power", 2)]),
    "y.neg_()": (_in_place("neg_"), [_op("multiply", -1)]),
    "y += 1.5": (_plus_equals, [_op("add", 1.5)]),
    "y * 2 twice in place": (lambda t, y: (y.mul_(2), y.mul_(2), y)[-1],
                             [_op("multiply", 2), _op("multiply", 2)]),
    "y.mul_(2) read by a ReLU": (lambda t, y: (y.mul_(2), t.relu(y))[-1],
                                 [_op("multiply", 2), "ReLU()"]),
    "torch.add(y, z, alpha=2)": (lambda t, y, z: t.add(y, z, alpha=2),
                                 [_op("multiply", 2), "Add()"]),
    "y.sub(z, alpha=0.5)": (lambda t, y, z: y.sub(z, alpha=0.5),
                            [_op("multiply", 0.5), "Subtract()"]),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_each_form_reads_as_the_layer_stating_it_with_pytorchs_values_and_memory(form):
    forward, expected = FORMS[form]
    module = _after_conv(forward)
    assert _read(module) == expected
    _same_function_and_memory(module)


SCALAR_OPS = [(op, constant, first)
              for op in ("add", "subtract", "multiply", "divide", "true_divide", "power",
                         "maximum", "minimum")
              for constant in (2, -0.5) for first in (False, True)
              if not (op == "maximum" and constant == 0)]


@pytest.mark.parametrize("op, constant, first", SCALAR_OPS)
def test_to_torch_writes_a_scalar_op_that_from_torch_reads_back_as_itself(op, constant, first):
    """Read back, the constant's side is kept where it matters, and ``true_divide`` (Keras'
    name for ``/``) is ``divide``: the same function."""
    torch = require("torch")
    model = nn.Sequential(nn.Linear(3, 4), nn.ScalarOp(op, constant, constant_first=first),
                          input_shape=(3,))
    exported = model.to_torch()
    back = sc.from_torch(exported, input_shape=(3,))
    commutes = op in ("add", "multiply", "maximum", "minimum")
    read = op.replace("true_", "")
    assert _read(exported, (3,)) == [_op(read, constant, first and not commutes)]
    again = back.to_torch()
    again.load_state_dict(exported.state_dict())
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(again(x), exported(x), equal_nan=True)
    memory = model.training_memory(batch=B).activations
    assert back.training_memory(batch=B).activations == memory
    assert [memory.subs(B, b) for b in (1, 2, 3)] == [measure(exported, x[:b].clone())[0]
                                                      for b in (1, 2, 3)]


@pytest.mark.parametrize("layer", [nn.ScalarOp, sc.Elementwise])
def test_a_negative_base_is_exported_as_a_power_of_that_base(layer):
    """fx wrote ``operator.pow(-2.0, x)`` as ``-2.0 ** x``, which Python reads as
    ``-(2.0 ** x)``: the export computed ``-4`` for ``(-2.0) ** 2``."""
    torch = require("torch")
    model = sc.Sequential([sc.Input((4,)), layer("power", -2.0, constant_first=True)])
    x = torch.tensor([[0.0, 1.0, 2.0, 3.0]])
    torch.testing.assert_close(model.to_torch()(x), torch.pow(-2.0, x))
    assert _read(model.to_torch(), (4,)) == [_op("power", -2.0, True)]


def test_keras_elementwise_exported_reads_back_as_pytorchs_scalar_op():
    """Keras' ``3.0 - x`` keeps the constant (a 0-d tensor in Keras' torch backend) for
    nothing, its product keeps it: read from PyTorch, the number keeps nothing."""
    model = sc.Sequential([sc.Input((3,)), sc.Dense(4),
                           sc.Elementwise("subtract", 3.0, constant_first=True),
                           sc.Elementwise("multiply", 0.5)])
    assert _read(model.to_torch(), (3,)) == [_op("subtract", 3.0, True), _op("multiply", 0.5)]


# ------------------------------------------------------------------------------ random modules

#: ``name: (forward(torch, y, c), keeps the output)``: the operations the random modules draw.
OPERATIONS = {
    "y * c": (lambda t, y, c: y * c, False), "c + y": (lambda t, y, c: c + y, False),
    "y - c": (lambda t, y, c: y - c, False), "c - y": (lambda t, y, c: c - y, False),
    "y / c": (lambda t, y, c: y / c, False), "-y": (lambda t, y, c: -y, False),
    "c / (sigmoid(y) + 0.5)": (lambda t, y, c: c / (t.sigmoid(y) + 0.5), False),
    "y ** 2": (lambda t, y, c: y ** 2, False), "y.pow(3)": (lambda t, y, c: y.pow(3), False),
    "2 ** y": (lambda t, y, c: 2 ** y, True), "torch.neg(y)": (lambda t, y, c: t.neg(y), False),
    "y.mul(c)": (lambda t, y, c: y.mul(c), False),
    "torch.rsub(y, c)": (lambda t, y, c: t.rsub(y, c), False),
    "torch.add(y, c, alpha=2)": (lambda t, y, c: t.add(y, c, alpha=2), False),
    "y.clamp(min=c)": (lambda t, y, c: y.clamp(min=c), False),
    "relu": (lambda t, y, c: t.relu(y), True),
}
#: In-place ones: PyTorch's autograd refuses them on a tensor an earlier operation keeps.
IN_PLACE = {
    "y.mul_(c)": lambda t, y, c: (y.mul_(c), y)[-1],
    "y.add_(c)": lambda t, y, c: (y.add_(c), y)[-1],
    "y.div_(c)": lambda t, y, c: (y.div_(c), y)[-1],
    "y.pow_(2)": lambda t, y, c: (y.pow_(2), y)[-1],
    "y += c": lambda t, y, c: y.__iadd__(c) if isinstance(y, t.Tensor) else y + c,
}


@st.composite
def _chains(draw, most: int):
    """Up to ``most`` operations and constants; an in-place one only on a tensor no earlier
    operation keeps (not right after ``2 ** y`` or a ReLU, which keep their output)."""
    chain, kept = [], False
    for _ in range(draw(st.integers(0, most))):
        names = list(OPERATIONS) + ([] if kept else list(IN_PLACE))
        name = draw(st.sampled_from(names))
        chain.append((name, draw(st.sampled_from([2, 0.5, -1.5, 3.0]))))
        kept = OPERATIONS[name][1] if name in OPERATIONS else kept
    return chain


def _apply(torch, chain, y):
    for name, c in chain:
        y = OPERATIONS[name][0](torch, y, c) if name in OPERATIONS else IN_PLACE[name](
            torch, y, c)
    return y


def _mixed(first, second):
    torch = require("torch")

    class Mixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
            self.fc = torch.nn.Linear(4 * 5 * 5, 6)

        def forward(self, x):
            y = _apply(torch, first, self.conv(x))
            return _apply(torch, second, self.fc(y.flatten(1)))

    return Mixed()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=_chains(3), second=_chains(2))
def test_random_modules_read_and_exported_compute_pytorchs_values_and_keep_its_tensors(
        first, second):
    torch = require("torch")
    module = _mixed(first, second)
    module(torch.randn(2, *SHAPE)).sum().backward()  # a module PyTorch trains
    model = _same_function_and_memory(module)
    again = sc.from_torch(model.to_torch(), input_shape=SHAPE)
    assert [_described(r.layer) for r in again.layers] == [_described(r.layer)
                                                          for r in model.layers]
    assert (again.params, again.macs) == (model.params, model.macs)


# ---------------------------------------------------------------------------------- refusals

FLOOR = {
    "y // 2": lambda t, y: y // 2,
    "torch.floor_divide(y, 2)": lambda t, y: t.floor_divide(y, 2),
    "y.div(2, rounding_mode='floor')": lambda t, y: y.div(2, rounding_mode="floor"),
    "torch.div(y, 2, rounding_mode='trunc')": lambda t, y: t.div(y, 2, rounding_mode="trunc"),
    "2 // y": lambda t, y: 2 // y,
}


@pytest.mark.parametrize("form", list(FLOOR))
def test_a_floor_division_of_a_tensor_is_refused_saying_why(form):
    with pytest.raises(sc.ConversionError, match=r"a floor division of a tensor .*: no symcnn "
                                                 r"layer computes it"):
        sc.from_torch(_after_conv(FLOOR[form]), input_shape=SHAPE)


def test_a_constant_of_symbolic_sizes_is_refused_and_of_numeric_ones_read():
    module = _after_conv(lambda t, y: y / y.shape[2])
    with pytest.raises(sc.ConversionError, match=r"a tensor and the size H in an element-wise "
                                                 r"divide: ScalarOp takes a number"):
        sc.from_torch(module, input_shape=(3, "H", "W"))
    assert _read(module) == [_op("divide", 5)]
    _same_function_and_memory(module)


def test_an_in_place_call_on_a_tensor_whose_view_is_read_afterwards_is_refused():
    def viewed(torch, y):
        flat = y.flatten(1)
        y.mul_(2)
        return flat

    def through_a_view(torch, y):
        y[:, :2].add_(1)
        return y

    for forward, names in ((viewed, r"on 'conv', which shares its storage with 'flatten', "
                                    r"read afterwards by 'output'"),
                           (through_a_view, r"on 'getitem', which shares its storage with "
                                            r"'conv', read afterwards by 'output'")):
        with pytest.raises(sc.ConversionError, match=names):
            sc.from_torch(_after_conv(forward), input_shape=SHAPE)


# -------------------------------------------------------------------------------------- sizes

def test_arithmetic_on_sizes_stays_arithmetic_on_sizes():
    torch = require("torch")
    F = torch.nn.functional

    def forward(t, y):
        half = y[:, :, : y.shape[2] // 2, : t.div(y.shape[3], 2, rounding_mode="floor")]
        up = F.interpolate(half, size=(half.shape[2] * 2 + 1, -(-half.shape[3]) * 2))
        return up.reshape(up.size(0), -1)

    model = sc.from_torch(_after_conv(forward), input_shape=(3, "H", "W"))
    H, W = sc.symbols("H W")
    (size,) = model.output_shape
    assert sympy.expand(size - 4 * (2 * sympy.floor(H / 2) + 1) * 2 * sympy.floor(W / 2)) == 0
    assert not [r for r in model.layers if isinstance(r.layer, nn.ScalarOp)]


# -------------------------------------------------------------------------------- model files

def test_a_model_read_with_scalar_ops_keeps_them_in_its_model_file():
    module = _mixed([("2 ** y", 2), ("y / c", 3.0)], [("c - y", 0.5), ("y.pow(3)", 2)])
    model = sc.from_torch(module, input_shape=SHAPE)
    back = model_from_spec(model_to_spec(model))
    assert [_described(r.layer) for r in back.layers] == [_described(r.layer)
                                                         for r in model.layers]
    assert back.training_memory(batch=B).activations == \
        model.training_memory(batch=B).activations
