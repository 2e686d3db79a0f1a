"""Counts the random models the cross-checks compare and prints the count at the end.

CI output then says, e.g., ``crosscheck: 320 Keras models, 240 PyTorch models checked``.
"""

from collections import Counter

import pytest

_TALLY: Counter = Counter()


@pytest.fixture(scope="session")
def tally():
    """``tally["Keras"] += 1`` after each model that was compared in full."""
    return _TALLY


def pytest_terminal_summary(terminalreporter):
    if _TALLY:
        checked = ", ".join(f"{n} {what} models" for what, n in sorted(_TALLY.items()))
        terminalreporter.write_line(f"crosscheck: {checked} checked")
