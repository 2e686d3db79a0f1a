"""``nn.Upsample`` by a scale factor has PyTorch's output size, and refuses what PyTorch refuses.

PyTorch's size is ``floor(float(n) * f)``: the product rounded in double precision, which for
a factor that is no binary fraction is not always the exact ``floor(n*f)`` (9 by ``1/3``
gives 3). Every expectation here is a real PyTorch forward pass: on CPU for small inputs, on
the ``meta`` device (the same size computation, no memory) for sizes up to ``2**40``.
A symbolic size gets a closed form only where it is PyTorch's size for every size up to
:data:`~symcnn.nn.reshape.EXACT_UP_TO`; it is refused otherwise.
"""

import math
import random
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn import nn
from symcnn.nn.reshape import EXACT_UP_TO

from ..conftest import require

pytestmark = pytest.mark.frameworks

L = sc.symbols("L")


def torch_size(factor, n, device="cpu", **kwargs):
    """The length of a real ``nn.Upsample`` forward pass on ``n`` elements, or None where
    PyTorch refuses it or returns an empty tensor (``area``)."""
    torch = require("torch")
    module = torch.nn.Upsample(scale_factor=factor, **kwargs)
    try:
        out = module(torch.zeros(1, 1, n, device=device))
    except RuntimeError:
        return None
    return out.shape[-1] or None


def symcnn_size(factor, n, **kwargs):
    try:
        return int(nn.Sequential(nn.Upsample(scale_factor=factor, **kwargs),
                                 input_shape=(1, n)).output_shape[-1])
    except sc.ShapeError:
        return None


def closed_form(factor, **kwargs):
    """The model on ``(1, L)``, or None where symcnn refuses a symbolic size."""
    try:
        return nn.Sequential(nn.Upsample(scale_factor=factor, **kwargs), input_shape=(1, "L"))
    except sc.ShapeError as err:
        assert "substitute a number for L" in str(err) and f"{factor!r}" in str(err)
        return None


def at(model, n):
    """The closed form's length at ``L = n``, or None where its constraints fail."""
    if not all(bool(c.subs(L, n)) for c in model.constraints):
        return None
    return int(sympy.sympify(model.output_shape[-1]).subs(L, n))


factors = st.one_of(
    st.floats(0.01, 8.0, allow_nan=False, allow_infinity=False),
    st.builds(lambda a, b: a / b, st.integers(1, 40), st.integers(1, 40)),
    st.builds(lambda a, k: round(a / 10**k, k), st.integers(1, 999), st.integers(1, 3)),
    st.integers(1, 5),
)
options = st.sampled_from([{}, {"recompute_scale_factor": True}, {"mode": "area"},
                           {"mode": "linear"}, {"mode": "nearest-exact"}])


@settings(max_examples=300, deadline=None)
@given(factor=factors, n=st.integers(1, 3000), kwargs=options)
def test_a_numeric_size_is_pytorchs_and_an_empty_output_is_refused(factor, n, kwargs):
    expected = torch_size(factor, n, **kwargs)
    assert symcnn_size(factor, n, **kwargs) == expected
    torch = require("torch")
    module = torch.nn.Upsample(scale_factor=factor, **kwargs)
    try:
        imported = int(sc.from_torch(module, input_shape=(1, n)).output_shape[-1])
    except sc.ShapeError:
        imported = None
    assert imported == expected


@settings(max_examples=200, deadline=None)
@given(factor=factors, data=st.data())
def test_a_closed_form_is_pytorchs_size_up_to_the_bound_or_refused(factor, data):
    model = closed_form(factor)
    if model is None:
        return
    den = nn.Upsample(scale_factor=factor).scale_factor.q  # the closed form's denominator
    top = EXACT_UP_TO if factor <= 1 else int(EXACT_UP_TO / float(factor))
    sizes = data.draw(st.lists(st.integers(1, top), min_size=5, max_size=5))
    # where rounding decides: multiples of the denominator, at the top of a binade
    for e in data.draw(st.lists(st.integers(1, 40), min_size=3, max_size=3)):
        j = min(top, 2**e) // den
        sizes += [den * j, den * (j - 1), min(2**e - 1, top)]
    for n in sizes:
        if n >= 1:
            assert at(model, n) == torch_size(factor, n, device="meta"), n


FACTORS_WITH_A_CLOSED_FORM = [1 / 3, 2 / 3, 5 / 3, 1 / 7, 0.1, 0.3, 0.9, 1.1, 1.5, 2.5, 0.75]


@pytest.mark.parametrize("factor", FACTORS_WITH_A_CLOSED_FORM)
def test_closed_forms_of_common_factors_match_pytorch_size_by_size(factor):
    model = closed_form(factor)
    assert model is not None
    rational = sympy.Rational(Fraction(factor).limit_denominator(1000))
    assert model.output_shape[-1] == sc.arith.floor_div(L * rational.p, rational.q)
    sizes = list(range(1, 3001))
    rng = random.Random(factor)
    top = EXACT_UP_TO if factor <= 1 else int(EXACT_UP_TO / factor)
    for e in range(12, 41):  # multiples of the denominator at the top of each binade
        j = min(top, 2**e) // rational.q
        sizes += [rational.q * j, rational.q * (j - 1), rng.randrange(1, top)]
    for n in sizes:
        assert at(model, n) == torch_size(factor, n, device="meta"), n


@pytest.mark.parametrize("factor", [0.29, 0.7, 0.35])
def test_a_factor_whose_rounding_decides_some_sizes_has_no_closed_form(factor):
    """The exact rational is PyTorch's size at most sizes but not at all: a symbolic size
    is refused with a request to substitute, and the numbers work."""
    r = Fraction(str(factor))
    wrong = next(n for n in range(r.denominator, 10**6, r.denominator)
                 if torch_size(factor, n, device="meta") != math.floor(n * r))
    assert symcnn_size(factor, wrong) == torch_size(factor, wrong)
    with pytest.raises(sc.ShapeError, match=r"substitute a number for L"):
        nn.Sequential(nn.Upsample(scale_factor=factor), input_shape=(1, "L"))
    model = nn.Sequential(nn.Upsample(scale_factor=(factor, 2)), input_shape=(1, wrong, "W"))
    assert int(model.output_shape[1]) == torch_size(factor, wrong)


@pytest.mark.parametrize("factor, n", [(1 / 3, 9), (2 / 3, 3), (0.29, 100)])
def test_the_reported_sizes(factor, n):
    torch = require("torch")
    module = torch.nn.Upsample(scale_factor=factor)
    expected = tuple(module(torch.zeros(1, 1, n)).shape[1:])
    imported = sc.from_torch(module, input_shape=(1, n))
    assert tuple(int(d) for d in imported.output_shape) == expected
    assert tuple(imported.to_torch()(torch.zeros(1, 1, n)).shape[1:]) == expected


@pytest.mark.parametrize("factor", [0.5, 1 / 3, 0.1, 0.75])
def test_a_symbolic_size_gets_the_condition_that_keeps_the_output_non_empty(factor):
    torch = require("torch")
    module = torch.nn.Upsample(scale_factor=factor)
    imported = sc.from_torch(module, input_shape=(3, "H", "W"))
    H, W = sc.symbols("H W")
    for h in range(1, 25):
        holds = all(bool(c.subs({H: h, W: 20})) for c in imported.constraints)
        try:
            module(torch.zeros(1, 3, h, 20))
            accepted = True
        except RuntimeError:
            accepted = False
        assert holds == accepted, h
    with pytest.raises(sc.ShapeError, match=r"dim 2 \(1 elements\) by 0\.5 leaves none"):
        sc.from_torch(torch.nn.Upsample(scale_factor=0.5), input_shape=(3, 1, 4))
