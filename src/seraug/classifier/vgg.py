"""VGG19 (Simonyan & Zisserman 2015, configuration "E") for one-channel 128x128 log-mel segments.

The paper (Section 3.2) classifies 128x128 spectrogram segments with VGG19. This is that network with
two documented changes for spectrograms:

- **one input channel** (a log-mel segment, not an RGB image);
- **batch normalisation** after every convolution (the ``vgg19_bn`` variant, on by default): trained
  from scratch on a few thousand segments, plain VGG19 often fails to start learning; ``batch_norm=False``
  gives the original layer list.

Layers: 16 convolutions (3x3, stride 1, padding 1, ReLU) in five blocks of 64, 128, 256, 512 and 512
channels (2, 2, 4, 4, 4 layers), each block closed by 2x2 max pooling, then 3 fully connected layers.
Five poolings shrink a 128x128 input to 4x4, so the head is::

    flatten 512*4*4 = 8192 -> Linear 4096 -> ReLU -> Dropout 0.5
                           -> Linear 4096 -> ReLU -> Dropout 0.5 -> Linear n_classes

i.e. ImageNet VGG19's head with the first layer's input shrunk from 512*7*7 (224x224 images) to
512*4*4; no adaptive pooling is needed. At ``width=1.0`` and 7 classes the network has 70,402,759
parameters: 20,034,240 in the convolutions and their batch norms, 50,368,519 in the head (ImageNet's
VGG19-BN has 143.7 M, 102.8 M of them in its 25088-wide first linear layer).

``width`` scales every channel count and the hidden width of the head (``max(1, round(c * width))``),
so tests and CPUs can run the same architecture at a fraction of the cost (``width=1/16``: 4 ... 32
channels, hidden 256).

``head="gap"`` replaces the three fully connected layers by a global average over frequency and time,
dropout and one linear layer (as in all-convolutional and audio-tagging CNNs): the 16 convolutions
stay VGG19's, the head has ``channels * n_classes`` weights instead of millions, so a network trained
from scratch on a few hundred segments overfits less (measured on EmoDB: see :mod:`seraug.experiment`).
"""

from __future__ import annotations

import torch
from torch import nn

from seraug.errors import ConfigError

VGG19_LAYERS: tuple[int | str, ...] = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M",
)
"""Configuration "E" of the VGG paper: output channels of each 3x3 convolution, ``"M"`` a 2x2 max pooling."""

HIDDEN = 4096
"""Width of the two hidden fully connected layers at ``width=1.0``."""

HEADS = ("vgg", "gap")
"""Classifier heads: ``vgg`` (VGG's three fully connected layers), ``gap`` (global average pooling + linear)."""


def scaled(channels: int, width: float) -> int:
    """Channel count ``channels`` scaled by ``width``, at least 1."""
    return max(1, round(channels * width))


class VGG19(nn.Module):
    """VGG19 classifier of ``(N, 1, H, W)`` segments into ``n_classes`` logits.

    Args:
        n_classes: number of output classes (logits, no softmax).
        width: channel multiplier (1.0 = the real VGG19: 64-128-256-512-512 channels, 4096 hidden).
        batch_norm: batch normalisation after each convolution (VGG19-BN).
        dropout: dropout probability in the head (VGG's 0.5).
        input_size: ``(H, W)`` of the segments; both must be multiples of 32 (five 2x2 poolings).
        head: ``vgg`` (flatten + 3 fully connected layers) or ``gap`` (global average pooling + 1 linear).

    The constructor arguments are kept in ``self.config`` so a saved model can be rebuilt
    (see :func:`seraug.classifier.inference.load_model`); ``self.scaler`` is the
    :class:`seraug.features.normalise.MinMaxScaler` its inputs need once it is trained (None before).
    """

    def __init__(
        self,
        n_classes: int,
        width: float = 1.0,
        batch_norm: bool = True,
        dropout: float = 0.5,
        input_size: tuple[int, int] = (128, 128),
        head: str = "vgg",
    ) -> None:
        super().__init__()
        if n_classes < 2:
            raise ConfigError(f"n_classes must be at least 2, got {n_classes}")
        if not width > 0:
            raise ConfigError(f"width must be positive, got {width}")
        if not 0 <= dropout < 1:
            raise ConfigError(f"dropout must be in [0, 1), got {dropout}")
        if head not in HEADS:
            raise ConfigError(f"head must be one of {', '.join(HEADS)}, got {head!r}")
        height, wide = input_size
        if height % 32 or wide % 32 or height <= 0 or wide <= 0:
            raise ConfigError(f"input_size must be positive multiples of 32 (five 2x2 poolings), got {input_size}")
        self.config = {"n_classes": n_classes, "width": width, "batch_norm": batch_norm, "dropout": dropout,
                       "input_size": (height, wide), "head": head}
        self.scaler = None  # the MinMaxScaler its inputs need, once trained (saved with it by save_model)

        layers: list[nn.Module] = []
        channels = 1
        for item in VGG19_LAYERS:
            if item == "M":
                layers.append(nn.MaxPool2d(2))
                continue
            out = scaled(int(item), width)
            layers.append(nn.Conv2d(channels, out, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out))
            layers.append(nn.ReLU(inplace=True))
            channels = out
        self.features = nn.Sequential(*layers)

        hidden = scaled(HIDDEN, width)
        if head == "gap":
            self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout),
                                            nn.Linear(channels, n_classes))
        else:
            self.classifier = nn.Sequential(
                nn.Flatten(),
                nn.Linear(channels * (height // 32) * (wide // 32), hidden), nn.ReLU(inplace=True),
                nn.Dropout(dropout),
                nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
                nn.Linear(hidden, n_classes),
            )
        self._init_weights()

    def _init_weights(self) -> None:
        """torchvision's VGG initialisation: He (fan-out) for convolutions, N(0, 0.01) for linear layers."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0.0, 0.01)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 1, H, W)`` segments (normalised to [-1, 1]) -> ``(N, n_classes)`` logits."""
        return self.classifier(self.features(x))
