"""Worked example E: a VGG-style Keras Sequential model; BatchNorm is 2C trainable + 2C not."""

from symcnn.zoo import textbook

model = textbook.vgg_style()
model.summary()
bn = model.get_layer("batch_normalization")
print(f"\n{bn.name}: {bn.params} params = {bn.trainable_params} trainable (gamma, beta) + "
      f"{bn.non_trainable_params} non-trainable (moving mean, variance)")
