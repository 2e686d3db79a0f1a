"""Reference networks written in plain ``torch.nn`` (torchvision has no CPU build here).

They follow torchvision's definitions layer for layer, so their parameter counts are the
public reference counts (ResNet-50: 25,557,032).
"""

from __future__ import annotations

import torch
from torch import nn


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int = 1) -> None:
        super().__init__()
        out = width * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_channels != out:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return self.relu(y + identity)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_channels: int, width: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_channels != width:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, width, 1, stride=stride, bias=False), nn.BatchNorm2d(width)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + identity)


class ResNet(nn.Module):
    """torchvision's ResNet: stem, four stages, global average pool, fully connected."""

    def __init__(self, block, layers, num_classes: int = 1000, width: int = 64) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        channels = width
        stages = []
        for i, blocks in enumerate(layers):
            stage_width = width * 2**i
            stride = 1 if i == 0 else 2
            modules = []
            for b in range(blocks):
                modules.append(block(channels, stage_width, stride if b == 0 else 1))
                channels = stage_width * block.expansion
            stages.append(nn.Sequential(*modules))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(channels, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.avgpool(self.features(x)), 1))


def resnet50(num_classes: int = 1000) -> ResNet:
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes)


def resnet18(num_classes: int = 1000) -> ResNet:
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def resnet34(num_classes: int = 1000, width: int = 64) -> ResNet:
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes, width)


def resnet101(num_classes: int = 1000, width: int = 64) -> ResNet:
    return ResNet(Bottleneck, [3, 4, 23, 3], num_classes, width)


def resnet152(num_classes: int = 1000, width: int = 64) -> ResNet:
    return ResNet(Bottleneck, [3, 8, 36, 3], num_classes, width)


def resnet_by_depth(depth: int, num_classes: int = 1000, width: int = 64) -> ResNet:
    block = BasicBlock if depth in (18, 34) else Bottleneck
    layers = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3],
              152: [3, 8, 36, 3]}[depth]
    return ResNet(block, layers, num_classes, width)


# ----------------------------------------------------------------------------- VGG


VGG_STAGES = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}


class VGG(nn.Module):
    """torchvision's VGG: 3x3 convolutions (+BN), max pools, adaptive 7x7 pool, 3 linears."""

    def __init__(self, depth: int, batch_norm: bool = False, num_classes: int = 1000,
                 width: int = 64, units: int = 4096) -> None:
        super().__init__()
        layers, channels = [], 3
        for convs, multiplier in zip(VGG_STAGES[depth], (1, 2, 4, 8, 8)):
            for _ in range(convs):
                layers.append(nn.Conv2d(channels, multiplier * width, 3, padding=1))
                channels = multiplier * width
                if batch_norm:
                    layers.append(nn.BatchNorm2d(channels))
                layers.append(nn.ReLU(inplace=True))
            layers.append(nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(channels * 49, units), nn.ReLU(True), nn.Dropout(),
            nn.Linear(units, units), nn.ReLU(True), nn.Dropout(),
            nn.Linear(units, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# ----------------------------------------------------------------------------- AlexNet


class AlexNet(nn.Module):
    """torchvision's single-tower AlexNet."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(True), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(True), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(True),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(True),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(3, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(), nn.Linear(256 * 36, 4096), nn.ReLU(True),
            nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(True), nn.Linear(4096, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class AlexNetTwoTower(nn.Module):
    """The 2012 AlexNet (Caffe's bvlc_alexnet layout): groups=2 in conv2, conv4, conv5, LRN.

    The first linear layer's size follows the input, as in the paper (227x227 gives 6x6).
    """

    def __init__(self, num_classes: int = 1000, input_hw=(227, 227)) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(True), nn.LocalResponseNorm(5),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(True), nn.LocalResponseNorm(5),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(True),
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(True),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(True), nn.MaxPool2d(3, 2))
        self.classifier = nn.Sequential(
            nn.Linear(_flat_size(self.features, 3, input_hw), 4096), nn.ReLU(True), nn.Dropout(),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


def _flat_size(features: nn.Module, channels: int, input_hw) -> int:
    """Elements per example of ``features`` on an input of ``input_hw`` (a dry run)."""
    with torch.no_grad():
        return features(torch.zeros(1, channels, *input_hw)).numel()


# ----------------------------------------------------------------------------- MobileNetV2


def make_divisible(v: float, divisor: int = 8) -> int:
    """torchvision's ``_make_divisible``, float arithmetic and all."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def conv_bn_act(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1,
                act=nn.ReLU6) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
              nn.BatchNorm2d(cout)]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers = [conv_bn_act(inp, hidden, 1)] if expand_ratio != 1 else []
        layers += [conv_bn_act(hidden, hidden, 3, stride, groups=hidden),
                   conv_bn_act(hidden, oup, 1, act=None)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    """torchvision's MobileNetV2 with ``width_mult``."""

    SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1))

    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0) -> None:
        super().__init__()
        channels = make_divisible(32 * width_mult)
        last = make_divisible(1280 * max(1.0, width_mult))
        features = [conv_bn_act(3, channels, 3, 2)]
        for t, c, n, s in self.SETTINGS:
            out = make_divisible(c * width_mult)
            for i in range(n):
                features.append(InvertedResidual(channels, out, s if i == 0 else 1, t))
                channels = out
        features.append(conv_bn_act(channels, last, 1))
        self.features = nn.Sequential(*features)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(last, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# ----------------------------------------------------------------------------- EfficientNet


class SqueezeExcitation(nn.Module):
    def __init__(self, channels: int, squeeze: int) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = torch.sigmoid(self.fc2(nn.functional.silu(self.fc1(self.avgpool(x)))))
        return x * scale


class MBConv(nn.Module):
    def __init__(self, inp: int, oup: int, kernel: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        self.use_res_connect = stride == 1 and inp == oup
        expanded = make_divisible(inp * expand_ratio)
        layers = [conv_bn_act(inp, expanded, 1, act=nn.SiLU)] if expanded != inp else []
        layers += [conv_bn_act(expanded, expanded, kernel, stride, groups=expanded, act=nn.SiLU),
                   SqueezeExcitation(expanded, max(1, inp // 4)),
                   conv_bn_act(expanded, oup, 1, act=None)]
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return y + x if self.use_res_connect else y


class EfficientNet(nn.Module):
    """torchvision's EfficientNet-B0..B7 (``width_mult``, ``depth_mult``)."""

    STAGES = ((1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2),
              (6, 3, 2, 40, 80, 3), (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4),
              (6, 3, 1, 192, 320, 1))

    def __init__(self, width_mult: float = 1.0, depth_mult: float = 1.0,
                 num_classes: int = 1000) -> None:
        super().__init__()
        import math

        first = make_divisible(32 * width_mult)
        layers = [conv_bn_act(3, first, 3, 2, act=nn.SiLU)]
        for t, k, s, cin, cout, n in self.STAGES:
            inp, oup = make_divisible(cin * width_mult), make_divisible(cout * width_mult)
            stage = []
            for i in range(int(math.ceil(n * depth_mult))):
                stage.append(MBConv(inp if i == 0 else oup, oup, k, s if i == 0 else 1, t))
            layers.append(nn.Sequential(*stage))
        last_in = make_divisible(320 * width_mult)
        layers.append(conv_bn_act(last_in, 4 * last_in, 1, act=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(4 * last_in, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# ----------------------------------------------------------------------------- DenseNet


class DenseLayer(nn.Module):
    def __init__(self, channels: int, growth_rate: int, bn_size: int) -> None:
        super().__init__()
        self.norm1, self.relu1 = nn.BatchNorm2d(channels), nn.ReLU(True)
        self.conv1 = nn.Conv2d(channels, bn_size * growth_rate, 1, bias=False)
        self.norm2, self.relu2 = nn.BatchNorm2d(bn_size * growth_rate), nn.ReLU(True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv1(self.relu1(self.norm1(x)))
        return torch.cat([x, self.conv2(self.relu2(self.norm2(y)))], 1)


class DenseNet(nn.Module):
    """torchvision's DenseNet-BC (DenseNet-121 by default)."""

    def __init__(self, growth_rate: int = 32, block_config=(6, 12, 24, 16),
                 num_init_features: int = 64, bn_size: int = 4, num_classes: int = 1000) -> None:
        super().__init__()
        layers = [nn.Conv2d(3, num_init_features, 7, 2, 3, bias=False),
                  nn.BatchNorm2d(num_init_features), nn.ReLU(True), nn.MaxPool2d(3, 2, 1)]
        channels = num_init_features
        for i, n in enumerate(block_config):
            for _ in range(n):
                layers.append(DenseLayer(channels, growth_rate, bn_size))
                channels += growth_rate
            if i != len(block_config) - 1:
                layers += [nn.BatchNorm2d(channels), nn.ReLU(True),
                           nn.Conv2d(channels, channels // 2, 1, bias=False), nn.AvgPool2d(2, 2)]
                channels //= 2
        layers.append(nn.BatchNorm2d(channels))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.relu(self.features(x))
        return self.classifier(torch.flatten(self.avgpool(x), 1))


# ----------------------------------------------------------------------------- LeNet-5


LENET5_C3_TABLE = ((0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
                   (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5),
                   (0, 1, 2, 5), (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5), (0, 1, 2, 3, 4, 5))


class TableConv2d(nn.Module):
    """LeNet-5's C3: output map j convolves only the input maps ``table[j]``."""

    def __init__(self, table, kernel: int) -> None:
        super().__init__()
        self.table = [list(t) for t in table]
        self.weights = nn.ParameterList(
            nn.Parameter(torch.randn(1, len(t), kernel, kernel) * 0.1) for t in table)
        self.bias = nn.Parameter(torch.zeros(len(table)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = [nn.functional.conv2d(x[:, t], w) for t, w in zip(self.table, self.weights)]
        return torch.cat(maps, 1) + self.bias.view(1, -1, 1, 1)


class RBF(nn.Module):
    """Euclidean RBF output units with fixed centres (a buffer, not a parameter)."""

    def __init__(self, in_features: int, classes: int) -> None:
        super().__init__()
        self.register_buffer("centres", torch.sign(torch.randn(classes, in_features)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ((x[:, None, :] - self.centres) ** 2).sum(-1)


class LeNet5(nn.Module):
    """LeNet-5 (1998): trainable subsampling, C3's connection table, RBF outputs."""

    def __init__(self, num_classes: int = 10, input_hw=(32, 32)) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.Tanh(),
            nn.AvgPool2d(2), nn.Conv2d(6, 6, 1, groups=6), nn.Tanh(),
            TableConv2d(LENET5_C3_TABLE, 5), nn.Tanh(),
            nn.AvgPool2d(2), nn.Conv2d(16, 16, 1, groups=16), nn.Tanh(),
            nn.Conv2d(16, 120, 5), nn.Tanh())
        self.f6 = nn.Linear(_flat_size(self.features, 1, input_hw), 84)
        self.rbf = RBF(84, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rbf(torch.tanh(self.f6(torch.flatten(self.features(x), 1))))


def count_buffers(module: nn.Module, skip=(nn.BatchNorm2d,)) -> int:
    """Elements of buffers outside batch normalization (LeNet-5's fixed RBF centres)."""
    total = 0
    for m in module.modules():
        if not isinstance(m, skip):
            total += sum(b.numel() for b in m.buffers(recurse=False))
    return total


def own_module(forward):
    """A module of one's own: ``forward(torch, F, y)`` on a 1x1 convolution's output ``y``
    (``forward(torch, F, y, z)``, a function of two tensors: and ``z``, a 3x3 convolution's),
    on ``(3, H, W)`` inputs."""
    two = forward.__code__.co_argcount == 4

    class Own(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 1)
            self.other = nn.Conv2d(3, 4, 3, padding=1) if two else None

        def forward(self, x):
            tensors = (self.conv(x), self.other(x)) if two else (self.conv(x),)
            return forward(torch, torch.nn.functional, *tensors)

    return Own()
