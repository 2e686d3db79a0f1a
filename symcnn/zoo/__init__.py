"""Ready-made models: the textbook worked examples, and classic networks.

>>> import symcnn as sc
>>> sc.zoo.textbook.free_width().params
160*n + 48320
"""

from . import textbook

__all__ = ["textbook"]
