"""``exercises.generate`` refuses a topic's impossible ``n`` without drawing on for tens of
seconds: a topic of few exercises is counted up front, any other gives up after
``MAX_FRUITLESS`` draws in a row that bring nothing new. Counted in draws, not seconds."""

from __future__ import annotations

import itertools

import pytest

import symcnn as sc
from symcnn.errors import SymcnnError
from symcnn.teach import exercises, topics


@pytest.fixture
def draws(monkeypatch):
    """The number of exercises ``generate`` builds, counted."""
    counter = itertools.count()
    seen = []
    build = exercises._build

    def counted(*args, **kwargs):
        seen.append(next(counter))
        return build(*args, **kwargs)

    monkeypatch.setattr(exercises, "_build", counted)
    return seen


def test_the_scaling_count_is_every_question_the_draws_reach():
    # drawn far past saturation (3000 draws; the rarest choice comes 1 in 60), the seeds
    # reach exactly as many questions as the count built from every choice
    import random
    for notation in ("keras", "cs231n"):
        reached = set()
        for seed in range(2):
            rng = random.Random(f"scaling:{seed}")
            reached |= {topics.scaling(rng, notation)[0] for _ in range(1500)}
        assert len(reached) == topics.COUNTS["scaling"](notation)


def test_too_many_scaling_exercises_are_refused_before_any_draw(draws):
    count = topics.COUNTS["scaling"]("keras")
    with pytest.raises(SymcnnError, match=f"only {count} different scaling exercises came "
                                          f"up. Received: n=500"):
        sc.exercises.generate("scaling", n=500)
    assert draws == []
    assert len(sc.exercises.generate("scaling", n=count, seed=0)) == count   # all of them


def test_a_topic_that_stops_giving_new_exercises_is_given_up_early(draws, monkeypatch):
    build = topics.GENERATORS["params"]
    questions = itertools.cycle(range(3))   # a generator of only three questions

    def few(rng, notation="keras"):
        question, *rest = build(rng, notation)
        return (f"question {next(questions)}", *rest)

    monkeypatch.setitem(topics.GENERATORS, "params", few)
    with pytest.raises(SymcnnError, match="only 3 different params exercises came up"):
        sc.exercises.generate("params", n=500, seed=1)
    assert len(draws) == 3 + exercises.MAX_FRUITLESS   # not 50 * 500
