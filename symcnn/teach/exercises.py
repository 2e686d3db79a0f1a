"""Exercises with worked solutions (``sc.exercises``): :func:`generate` and :func:`sheet`.

Every exercise is built on a real model (``.model``, which builds, so the exercise is
admissible) and its answer is what symcnn computes for that model; the worked solution is
the layer's derivation (formula, working, value) plus the few lines the topic needs. The
same ``seed`` always gives the same exercises (a private ``random.Random``);
``seed=None`` gives a different sheet each time. ``notation=`` writes the question, the
prose, the formulas and the answers in a lecture's names (a preset of
:mod:`symcnn.render.notation`: ``"cs231n"``, ``"d2l"``, ...); the models and the numbers
are the same in every notation.

>>> import symcnn as sc
>>> items = sc.exercises.generate("output_size", n=3, seed=1)
>>> [type(x.answer).__name__ for x in items]
['tuple', 'tuple', 'tuple']
>>> items == sc.exercises.generate("output_size", n=3, seed=1)
True
>>> print(sc.exercises.generate("scaling", n=1, seed=2)[0].answer)
4
>>> x = sc.exercises.generate("macs", n=1, seed=5, notation="cs231n")[0]
>>> print(x.question)
How many multiply-accumulate operations (MACs) does Conv2D(16, 3, padding='same') take on an input of shape (40, 40, 8)?
>>> print(x.solution.lines[1].math[1])
H_2*W_2*K*D_1*F*F
"""

from __future__ import annotations

import numbers
import random
import sys
from dataclasses import dataclass, field
from typing import Any

import sympy

from ..errors import ArgumentError, SymcnnError, brief
from ..render.notation import NOTATIONS, preset
from . import topics
from .topics import TOPICS
from .sheets import FORMATS, sheet

__all__ = ["Exercise", "Worked", "Line", "TOPICS", "NOTATIONS", "generate", "sheet",
           "FORMATS"]


@dataclass(frozen=True)
class Line:
    """One line of a worked solution: prose, and optionally mathematics.

    ``math`` is a derivation object (:class:`~symcnn.derivation.Derivation` or
    :class:`~symcnn.derivation.Step`) or a tuple of SymPy objects read as ``a = b = c``.
    """

    text: str = ""
    math: Any = None

    def __str__(self) -> str:
        if self.math is None:
            return self.text
        if isinstance(self.math, tuple):
            shown = " = ".join(topics.plain(p) for p in self.math)
        else:
            shown = str(self.math)
        return f"{self.text}\n{shown}" if self.text else shown


@dataclass(frozen=True)
class Worked:
    """A worked solution: its :class:`Line` s, printable as text."""

    lines: tuple

    def __str__(self) -> str:
        return "\n".join(str(line) for line in self.lines)

    def __iter__(self):
        return iter(self.lines)


@dataclass(frozen=True)
class Exercise:
    """One exercise: question, answer, worked solution and the model it is about.

    ``numerical`` lists ``(label, value)`` for each number a student enters (a shape gives
    one per spatial size); Moodle sheets make one numerical question of each. ``notation``
    is the preset its text and formulas are written in.
    """

    topic: str
    question: str
    answer: Any
    solution: Worked = field(compare=False)
    model: Any = field(compare=False)
    numerical: tuple = ()
    notation: str = "keras"


def _build(topic: str, rng: random.Random, notation: str = "keras") -> Exercise:
    question, answer, lines, model, numerical = topics.GENERATORS[topic](rng, notation)
    return Exercise(topic, question, answer, Worked(tuple(Line(*x) if isinstance(x, tuple)
                                                          else x for x in lines)),
                    model, tuple(numerical), notation)


def _seed(seed) -> int:
    """``seed`` as an int: an integer (an integral float such as ``1.0`` is that integer),
    or a fresh one from the operating system for None."""
    if seed is None:
        return random.SystemRandom().randrange(2 ** 63)
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) or \
            isinstance(seed, float) and seed.is_integer():
        seed = int(seed)
        try:
            str(seed)  # the generator is seeded with its text
        except ValueError:  # more digits than Python converts to text (4,300 by default)
            raise ArgumentError(f"exercises.generate: `seed` must be an integer of at most "
                                f"{sys.get_int_max_str_digits():,} digits, or None for a "
                                f"different sheet each time. Received: seed={brief(seed)}"
                                ) from None
        return seed
    raise ArgumentError(f"exercises.generate: `seed` must be an integer, or None for a "
                        f"different sheet each time. Received: seed={brief(seed)}")


def generate(topic: str, n: int = 10, seed: int | None = 1, notation: str = "keras") -> list:
    """``n`` different exercises on ``topic`` (see :data:`TOPICS`), reproducible by ``seed``.

    ``seed`` is an integer (an integral float such as ``1.0`` is taken as that integer; a
    bool, a fractional float or text is refused); the same seed always gives the same
    exercises. ``seed=None`` draws a fresh seed, so each call gives a different sheet.
    ``notation`` (one of :data:`~symcnn.render.notation.NOTATIONS`, default ``"keras"``,
    symcnn's names) names every symbol of the question, the worked solution and the
    answer as that lecture does; the same seed gives the same models and numbers in every
    notation. An unknown preset is refused before anything is generated, as the printers
    refuse it.

    >>> import symcnn as sc
    >>> x = sc.exercises.generate("params", n=1, seed=3)[0]
    >>> x.answer == x.model.params
    True
    >>> one = sc.exercises.generate("params", n=1, seed=1.0)
    >>> one == sc.exercises.generate("params", n=1, seed=1)
    True
    >>> sc.exercises.generate("params", notation="bishop")
    Traceback (most recent call last):
    ...
    symcnn.errors.SymcnnError: notation: unknown preset 'bishop'. Choose from: keras, cs231n, d2l, dumoulin. Received: notation='bishop'
    """
    if not isinstance(topic, str) or topic not in TOPICS:
        raise ArgumentError(f"exercises.generate: `topic` must be one of {', '.join(TOPICS)}. "
                            f"Received: topic={brief(topic)}")
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 500:
        raise SymcnnError(f"exercises.generate: `n` must be an integer from 1 to 500. "
                          f"Received: n={brief(n)}")
    preset(notation)  # refused as the printers refuse it, before any work
    seed = _seed(seed)
    count = topics.COUNTS[topic](notation) if topic in topics.COUNTS else None
    if count is not None and n > count:  # known up front: refused before any draw
        raise SymcnnError(f"exercises.generate: only {count} different {topic} exercises "
                          f"came up. Received: n={n}")
    rng = random.Random(f"{topic}:{seed}")
    items, seen, fruitless = [], set(), 0
    for _ in range(50 * n):
        exercise = _build(topic, rng, notation)
        if exercise.question not in seen:
            seen.add(exercise.question)
            items.append(exercise)
            fruitless = 0
            if len(items) == n:
                return items
        else:
            fruitless += 1
            if count is None and fruitless >= MAX_FRUITLESS:
                break
    raise SymcnnError(f"exercises.generate: only {len(items)} different {topic} exercises "
                      f"came up. Received: n={n}")


#: ``generate`` gives up after this many draws in a row that bring no new exercise (a topic
#: of thousands repeats itself at most a few times in a row before 500 different ones; one
#: whose exercises are few is counted up front, :data:`~symcnn.teach.topics.COUNTS`).
MAX_FRUITLESS = 200


def answer_text(exercise: Exercise) -> str:
    """The answer as text: a shape as a tuple, a number grouped, an expression as SymPy."""
    return topics.plain(exercise.answer)


def as_number(value) -> sympy.Expr:
    """An answer value as an exact SymPy number (for numerical questions)."""
    return sympy.nsimplify(value)
