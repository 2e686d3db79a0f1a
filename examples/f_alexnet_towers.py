"""Worked example F: AlexNet's two-tower convolution is a Conv2D with groups=2."""

import symcnn as sc
from symcnn.zoo import textbook

model = textbook.alexnet_two_tower_convs()
model.summary()
second = model.layers[3]
print(f"\nSecond convolution weights: 5*5*48*128*2 = {sc.format_count(second.params - 256)} (+256 biases)")
x = sc.Input((13, 13, 256))
flat = sc.Flatten()(sc.MaxPooling2D(3, strides=2)(x))
print(f"First fully connected layer input, after the last pooling: {sc.format_count(flat.shape[0])} = 6*6*256")
