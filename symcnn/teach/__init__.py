"""Teaching: mark a student's table (:func:`check`) and generate exercises with worked
solutions (:mod:`symcnn.teach.exercises`, also ``sc.exercises``).

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(64, 3)])
>>> sc.check(m, [{"layer": "conv2d", "output_shape": (30, 30, 64), "params": 1792}]).score
1.0
"""

from .check import Expected, Mark, Report, RowReport, check
from .claims import ClaimError
from .diagnoses import CATALOGUE, Diagnosis

__all__ = ["check", "Report", "RowReport", "Mark", "Expected", "ClaimError", "CATALOGUE",
           "Diagnosis"]
