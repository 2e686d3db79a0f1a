"""Shared test settings: hypothesis profiles (``SYMCNN_LONG=1`` selects the long one)."""

import os

from hypothesis import HealthCheck, settings

# CI (the default): derandomized, no example database, a fixed example count, so a run
# never flips. The long run (SYMCNN_LONG) is randomized on purpose, to find new cases.
settings.register_profile("ci", deadline=None, derandomize=True, database=None,
                          max_examples=100, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", deadline=None, max_examples=5000, derandomize=False,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("long" if os.environ.get("SYMCNN_LONG") else "ci")


def require(module: str):
    """Import a framework for a cross-check test.

    Locally a missing framework skips the test with a clear message; in CI (``CI`` set) it
    fails, so a broken install can never turn the cross-checks into silent skips.
    """
    import importlib

    import pytest

    if module == "keras":
        os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        return importlib.import_module(module)
    except ImportError as err:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"{module} is not installed ({err}); install symcnn[{module}] to run this")


def fuzz_examples(default: int) -> int:
    """Examples per fuzz test: ``default`` in CI, at least 5,000 in the long run.

    ``SYMCNN_LONG=1`` gives 5,000; ``SYMCNN_LONG=N`` (N > 1) gives N.
    """
    long = os.environ.get("SYMCNN_LONG")
    if not long:
        return default
    return int(long) if long.isdigit() and int(long) > 1 else max(default, 5000)
