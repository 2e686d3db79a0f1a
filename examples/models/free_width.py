"""Worked example D as a Python model file: `symcnn summary examples/models/free_width.py`."""

import symcnn as sc

n = sc.symbols("n")
model = sc.Sequential([
    sc.Input((39, 31, 1)),
    sc.Conv2D(20, 4, use_bias=False), sc.MaxPooling2D(2),
    sc.Conv2D(40, 3, use_bias=False), sc.MaxPooling2D(2),
    sc.Conv2D(60, 3, use_bias=False), sc.MaxPooling2D(2),
    sc.Conv2D(80, 2, use_bias=False),
    sc.Flatten(),
    sc.Dense(n, use_bias=False),
], name="free_width")
