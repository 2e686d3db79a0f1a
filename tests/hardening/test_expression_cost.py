"""Reading expression text costs little whatever the text: the bounds on terms and degree
are checked from the structure before anything is built, and SymPy is never asked to decide
a sign (its assumptions took seconds for one polynomial of degree 32). Found by exploratory
testing: a 385-character ``--subs`` value took 19 s before it was refused, and accepted
text cost about 2.5 s per 280 characters. Each block runs under a generous time guard."""

from __future__ import annotations

import random
import re

import pytest
import sympy

import symcnn as sc
from symcnn.expr_parser import MAX_LENGTH

from .test_bounded_reads import run_cli, within

k, n = sc.symbols("k n")
SYMBOLS = {"k": k, "n": n}


def alternating(degree: int) -> str:
    return "(" + "".join(f"{'+' if i % 2 == 0 else '-'}k**{i}" for i in range(degree + 1)) + ")"


def polynomial(degree: int, rng: random.Random, symbol: str = "k") -> str:
    return "(" + "+".join(f"{rng.choice(['', '-'])}{rng.randint(1, 9)}*{symbol}**{i}"
                          for i in range(degree + 1)) + ")"


def filled(make) -> str:
    """``make()`` joined by ``+`` up to the length bound, each copy different."""
    parts = []
    while True:
        part = make()
        if len("+".join(parts + [part])) > MAX_LENGTH:
            return "+".join(parts)
        parts.append(part)


def test_a_power_past_the_bounds_is_refused_before_it_is_built():
    with within(10):
        with pytest.raises(sc.ExpressionError, match="more than 2,000 terms at position 383"):
            sc.parse_expression(alternating(64) + "**2", SYMBOLS)
        with pytest.raises(sc.ExpressionError, match="has degree 66 in its symbols"):
            sc.parse_expression(alternating(33) + "**2", SYMBOLS)
        code, err = run_cli(["summary", "examples/models/free_width.json", "--subs",
                             f"n={alternating(64)}**2"])
        assert code == 2 and "more than 2,000 terms" in err


@pytest.mark.parametrize("shape", ["(p)**2", "(p)**-1", "1/p", "n//p", "p//n", "floor(p/7)",
                                   "ceiling(p/n)", "floor(p/(n-1))", "max(p, p)", "min(p, n, k)",
                                   "make_divisible(p, 8)"])
def test_text_up_to_the_length_bound_is_read_at_once(shape):
    rng = random.Random(shape)
    degree = 32 if shape == "(p)**2" else 16 if shape.startswith(("max", "min", "make")) else 60
    text = filled(lambda: re.sub("p", lambda _: polynomial(degree, rng), shape))
    sympy.core.cache.clear_cache()  # the first read, as in a fresh process
    with within(10):
        value = sc.parse_expression(text, SYMBOLS)
    point = {k: 3, n: 5}
    assert value.xreplace(point).is_finite


def test_roundings_and_extrema_of_large_arguments_stay_exact():
    rng = random.Random(1)
    p = sc.parse_expression(polynomial(40, rng), SYMBOLS)
    text = f"floor(({p})/7) + ceiling(({p})/(n + 1)) + max({p}, n) + min(k, 2*k, ({p})//(n - 1))"
    with within(10):
        value = sc.parse_expression(text, SYMBOLS)
    for kv, nv in ((1, 2), (2, 3), (3, 7)):
        pv = int(p.xreplace({k: kv}))
        expected = pv // 7 + -(-pv // (nv + 1)) + max(pv, nv) + min(kv, 2 * kv, pv // (nv - 1))
        assert value.xreplace({k: kv, n: nv}) == expected
