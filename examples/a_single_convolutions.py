"""Worked example A: the output size of one convolution, with the working shown."""

import symcnn as sc
from symcnn import formulas
from symcnn.zoo import textbook

for model in textbook.single_convolutions():
    conv = model.layers[0]
    layer = conv.layer
    h, w, _ = conv.input_shape
    (ph, _), (pw, _) = layer.padding
    print(f"input {conv.input_shape}, kernel {layer.kernel_size}, padding {ph}, "
          f"strides {layer.strides}, filters {layer.filters} -> output {conv.output_shape}")
    for axis, (i, k, s, p) in enumerate(zip((h, w), layer.kernel_size, layer.strides, (ph, pw))):
        print(f"    axis {axis}: floor(({i} + 2*{p} - {k})/{s}) + 1 = "
              f"{formulas.window_output_size(i, k, s, int(p))}")

H, K, S, P = sc.symbols("H K S P")
print("\nIn general, along one axis:", sc.Sequential(
    [sc.Input((H, 1)), sc.Conv1D(1, 3, strides=2)]).output_shape[0], "for K=3, S=2, P=0")
