"""Worked example C: LeNet-5 as its table describes it and as its code is written."""

from symcnn import format_count
from symcnn.zoo import textbook

table, code = textbook.lenet_table(), textbook.lenet_code()
table.summary()
print()
code.summary()
print(f"\nThe table's model has {format_count(table.params)} params; the code's has {format_count(code.params)}: the code "
      "uses a 3x3 second convolution (29x29, floored to 14x14 by pooling), biases, and Dense "
      "layers of 120, 84 and 10 units.")
