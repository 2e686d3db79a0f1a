"""A layer's counts are bounded before they are expanded: sizes that each pass the reader's
bounds (2,000 terms, degree 64) may multiply into tens of thousands of terms, which SymPy
expands at about a millisecond each. Found by a hostile-input hunt: a 120-byte model file
(a Dense whose input and units are both ``(a + ... + l)**4``) took 215 s to read, and a
195-byte one (a Conv2D of such sizes) read in 4 s but its MACs did not finish in 120 s.
Each case runs under a time limit; the bound itself is checked against SymPy's expansion."""

from __future__ import annotations

import math
import random

import pytest
import sympy

import symcnn as sc
from symcnn.safe import MAX_COUNT_TERMS, expansion_terms

from .test_bounded_reads import run_cli, within

LETTERS = "a b c d e f g h i j k l"


def _sum_power(count: int, power: int) -> str:
    return "(" + "+".join(LETTERS.split()[:count]) + f")**{power}"


def _monomials(variables: int, degree: int) -> int:
    """Monomials of exactly ``degree`` in ``variables`` variables: the terms of
    ``(x_1 + ... + x_v)**degree`` once expanded."""
    return math.comb(variables + degree - 1, degree)


def _random_expr(rng: random.Random, symbols, depth: int = 0):
    kind = rng.choice(["atom", "atom", "add", "mul", "pow", "floor", "max"] if depth < 3
                      else ["atom"])
    if kind == "atom":
        return rng.choice(list(symbols) + [sympy.Integer(rng.randint(1, 5))])
    if kind in ("add", "mul"):
        parts = [_random_expr(rng, symbols, depth + 1) for _ in range(rng.randint(2, 3))]
        return sympy.Add(*parts) if kind == "add" else sympy.Mul(*parts)
    inner = _random_expr(rng, symbols, depth + 1)
    if kind == "pow":
        return inner ** rng.choice([2, 3, -1, -2])
    if kind == "floor":
        return sympy.floor(inner / rng.randint(2, 4))
    return sympy.Max(inner, _random_expr(rng, symbols, depth + 1))


@pytest.mark.parametrize("seed", range(60))
def test_the_estimate_bounds_the_terms_sympy_expands_to(seed):
    symbols = sympy.symbols("x y z w", integer=True, positive=True)
    expr = _random_expr(random.Random(seed), symbols)
    expanded = sympy.expand(expr)
    inside = [len(sympy.Add.make_args(sympy.expand(node.args[0])))
              for node in sympy.preorder_traversal(expanded) if isinstance(node, sympy.floor)]
    assert expansion_terms(expr) >= max([len(sympy.Add.make_args(expanded)), *inside])


@pytest.mark.parametrize("variables, power", [(3, 4), (4, 3), (6, 2), (12, 1)])
def test_the_estimate_is_exact_for_a_power_of_a_sum_and_its_products(variables, power):
    s = sympy.Add(*sympy.symbols(f"v:{variables}", integer=True, positive=True))
    t = sc.symbols("t")
    for expr in (s**power, s**power * s + s, s**power * (t + 1) + t):
        assert expansion_terms(expr) == len(sympy.expand(expr).args)


def test_the_hunted_dense_file_is_refused_at_once_naming_the_layer_count_and_limit():
    e = _sum_power(12, 4)  # 1,365 terms: within the reader's 2,000
    spec = {"symbols": LETTERS, "input": [e], "layers": [{"Dense": e}]}
    with within(30), pytest.raises(sc.ExpressionError) as err:
        sc.model_from_spec(spec)
    expected = _monomials(12, 8) + _monomials(12, 4)  # (s**4)**2 + s**4, expanded
    message = str(err.value)
    assert message.startswith("model file: layers[0] (Dense): Dense layer 'dense' (#0)")
    assert (f"the parameter count would expand to about {expected:,} terms "
            f"(limit {MAX_COUNT_TERMS:,})") in message


def test_a_convolution_whose_sizes_multiply_out_is_refused_before_any_cost(tmp_path):
    e = _sum_power(10, 2)
    path = tmp_path / "conv.yaml"
    path.write_text(f"symbols: {LETTERS[:19]}\ninput: ['{e}', '{e}', '{e}']\nlayers:\n"
                    f"  - Conv2D: {{filters: '{e}', kernel_size: 1}}\n")
    assert len(path.read_bytes()) < 200
    with within(30), pytest.raises(sc.ExpressionError, match=r"would expand to about "
                                   r"[\d,]+ terms \(limit 200,000\)"):
        sc.load_spec(path).macs  # its elements alone are s**3: refused as the file is read
    code, err = run_cli(["summary", str(path), "--columns", "layer,macs"], seconds=30)
    assert code == 3 and len(err.strip().splitlines()) == 1 and "limit 200,000" in err


def test_sizes_below_the_bound_build_and_count_as_sympy_expands_them():
    e = _sum_power(3, 2)  # 6 terms
    x = sympy.parse_expr(e, local_dict={n: sc.symbols(n) for n in "abc"})
    with within(30):
        model = sc.model_from_spec({"symbols": "a b c", "input": [e, e, 2],
                                    "layers": [{"Conv2D": {"filters": 3, "kernel_size": 1}},
                                               {"Dense": e}]})
        params, macs = model.params, model.macs
    assert params == sympy.expand(2 * 3 + 3 + 3 * x + x)
    assert macs == sympy.expand(x * x * 2 * 3 + x * x * 3 * x)


def test_the_zoo_models_with_the_widest_symbolic_counts_are_far_below_the_bound():
    # the widest closed forms of the zoo: symbolic input sizes and both multipliers (up to
    # 55 terms in a total, a few per layer); every zoo model builds in tests/zoo
    alpha, beta = sc.multiplier("alpha"), sc.multiplier("beta")
    models = [sc.zoo.mobilenet_v3_small(alpha=alpha),
              sc.zoo.efficientnet_b0(width_coefficient=alpha, depth_coefficient=beta)]
    for model in models:
        for record in model._records:
            for value in (record.params, record.macs):
                assert len(sympy.Add.make_args(value)) * 10 < MAX_COUNT_TERMS
