"""What the PyTorch import's handler modules share: the markers and the refusal exception."""

from __future__ import annotations

__all__ = ["Unsupported", "Marker", "UNKNOWN", "BATCH"]


class Unsupported(Exception):
    """Raised by a handler for a use it cannot express; the message says what."""


class Marker:
    """A value that is not a tensor or a size (printed by its text)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


UNKNOWN = Marker("<unknown>")  # the result of an unsupported operation
BATCH = Marker("<batch size>")
