"""Worked example B: a 32x32 CIFAR-style functional network, and its closed form on H x W."""

import symcnn as sc
from symcnn.zoo import textbook

textbook.cifar().summary()
H, W = sc.symbols("H W")
symbolic = textbook.cifar(input_shape=(H, W, 3))
last = symbolic.get_layer("activation_3").output_shape
print(f"\nOn an H x W input, the last feature map is {sc.format_shape(last)} and the model "
      f"needs {', '.join(map(str, symbolic.constraints)) or 'no condition'}")
