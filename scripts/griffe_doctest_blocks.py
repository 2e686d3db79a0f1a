"""A griffe extension for the API reference: docstring examples (``>>>``) as code blocks.

symcnn's docstrings are plain text with doctest examples, which doctest runs. Markdown would
read ``>>>`` as nested quotes; this extension wraps every run of example lines (up to the next
blank line) in a fenced ``pycon`` block before mkdocstrings renders the docstring. Used by
mkdocs.yml (``extensions:`` of the Python handler).
"""

from __future__ import annotations

import griffe


def fence_examples(text: str) -> str:
    """``text`` with each doctest example run wrapped in a ```pycon fence.

    >>> print(fence_examples("Intro.\\n\\n>>> 1 + 1\\n2\\n\\nMore."))
    Intro.
    <BLANKLINE>
    ```pycon
    >>> 1 + 1
    2
    ```
    <BLANKLINE>
    More.
    """
    out, in_fence, in_example = [], False, False
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("```"):
            in_fence = not in_fence
        if not in_fence and not in_example and (stripped.startswith(">>> ") or stripped == ">>>"):
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}```pycon")
            in_example = True
        elif in_example and not stripped:
            out.append(f"{indent}```")
            in_example = False
        out.append(line)
    if in_example:
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestBlocks(griffe.Extension):
    """Fence doctest examples in every docstring griffe loads."""

    def on_object(self, *, obj, **kwargs) -> None:  # griffe >= 1.x
        if obj.docstring is not None:
            obj.docstring.value = fence_examples(obj.docstring.value)
