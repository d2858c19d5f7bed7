"""The networks: the paper's proposed GAN (Fig. 1) and the original BAGAN it is compared with (Fig. 2).

Images are ``(B, 1, 128, 128)`` log-mel segments normalised into [-1, 1]; latent codes ``(B, 100)``.

Proposed (Sections 2.2-2.4), channel counts at ``width=1`` (the paper does not state them; we use a
DCGAN-like doubling/halving that mirrors D and G around an ``8 x 8`` bottleneck):

* D trunk: 8 convolutions, stride 2 on every second one (128 -> 64 -> 32 -> 16 -> 8), channels
  64, 64, 128, 128, 256, 256, 512, 512; 3x3 kernels for stride 1, 4x4 for stride 2. Each is followed by
  batch norm, leaky ReLU and dropout 0.2. Then flatten (512 * 8 * 8).
* D = trunk + dense to K + 1 logits (K emotions + "fake"; the softmax lives in the cross-entropy).
* Encoder = a trunk of the same shape + dense to the 100-d code (the paper: "D, replacing the last
  softmax layer with a dense layer of size 100").
* G: dense 100 -> 1024 -> 512 * 8 * 8 (leaky ReLU after each), reshape, 8 transposed convolutions with
  stride 2 on every second one (8 -> 16 -> 32 -> 64 -> 128), channels 512, 256, 256, 128, 128, 64, 64,
  32, each followed by batch norm, leaky ReLU and dropout; a final 3x3 convolution to 1 channel and tanh.
  G is also the autoencoder's decoder.

Original BAGAN (Mariani et al. 2018, "BAGAN: Data Augmentation with Balancing GAN"), following the
rules of its public Keras code (IBM/BAGAN, ``balancing_gan.py``) for a 128 x 128 image, as we read it:

* G: dense 100 -> 1024 -> 128 * 8 * 8 (ReLU, no bias), then 4 x (nearest upsampling x2, 5x5
  convolution, ReLU, no bias) with 256 channels while the resolution before upsampling is below half
  the image and 128 for the last (256, 256, 256, 128), and a final 2x2 "same" convolution (no bias) to
  1 channel with tanh. No batch norm, no dropout.
* D trunk: 8 3x3 convolutions with bias, stride 2 on the first of each pair, channels 32, 64, 128,
  256, 256, 256, 256, 256, each followed by leaky ReLU (slope 0.3, Keras' default) and dropout 0.3;
  no batch norm. Encoder and D = trunk + dense, as for the proposed model.
* Initialisation as in Keras: Glorot-uniform kernels (Glorot-normal for G's convolutions), zero biases.
* Training (:func:`seraug.gan.train.gan_step`): D on one batch of the B real segments and ceil(B / K)
  fakes, one step; G on a fresh batch of B + ceil(B / K) codes; Adam 5e-5, beta1 0.5 for the
  autoencoder and the GAN (:data:`seraug.gan.config.GAN_LR`); conditioning classes drawn uniformly,
  as for the proposed model. At width 1 its 5x5 convolutions with 128-256 channels at up to 128 x 128
  make G about 19 times as costly as the proposed G.

Where ``--arch bagan`` deviates from that code:

* Images: one 128 x 128 log-mel channel instead of BAGAN's small images (e.g. CIFAR-10's 32 x 32 RGB);
  the layer counts follow the code's rules for that size (4 upsamplings, 8 D convolutions).
* Autoencoder loss: mean squared error, as for the proposed model (we believe BAGAN's code uses the
  mean absolute error; not verified).
* Class covariances: Ledoit-Wolf shrinkage (:mod:`seraug.gan.latent`) instead of the plain sample
  covariance, which is singular for classes with fewer segments than latent dimensions.
* Batch size, epochs, checkpoints, divergence recovery, the mode-collapse check and bf16 autocast on
  CUDA are seraug's (:class:`seraug.gan.config.GANConfig`), shared with the proposed model.

``width`` multiplies every channel count and G's hidden dense size (at least 1 each).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from seraug.errors import ConfigError

IMAGE_SIZE = 128
"""Height (mel bands) and width (frames) of a segment."""
BOTTLENECK = 8
"""Spatial size where D's trunk ends and G's convolutions start (128 / 2**4)."""

BAGAN_DROPOUT = 0.3
BAGAN_SLOPE = 0.3


class Networks(NamedTuple):
    """The three modules of one architecture; ``generator`` is also the autoencoder's decoder."""

    encoder: "ConvEncoder"
    generator: "Generator"
    discriminator: "ConvEncoder"


class Generator(nn.Module):
    """Latent ``(B, latent_dim)`` -> image ``(B, 1, 128, 128)`` in [-1, 1]: ``dense`` to ``channels`` maps of
    ``8 x 8``, then ``body`` up to the image."""

    def __init__(self, dense: nn.Sequential, channels: int, body: nn.Sequential) -> None:
        super().__init__()
        self.dense, self.channels, self.body = dense, channels, body

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(self.dense(z).view(-1, self.channels, BOTTLENECK, BOTTLENECK))


class ConvEncoder(nn.Module):
    """Convolutional trunk + one dense layer: ``(B, 1, 128, 128)`` -> ``(B, out_features)``.

    With ``out_features = K + 1`` it is the discriminator (logits over the emotions and "fake"); with
    ``out_features = latent_dim`` the autoencoder's encoder. Same trunk shape, so the encoder's trunk
    weights initialise D's (step (b) of the paper).
    """

    def __init__(self, trunk: nn.Sequential, trunk_features: int, out_features: int) -> None:
        super().__init__()
        self.trunk = trunk
        self.head = nn.Linear(trunk_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x))


def scaled(channels: int, width: float) -> int:
    """``channels * width`` rounded, at least 1."""
    return max(1, round(channels * width))


def _proposed_block(conv: nn.Module, out_channels: int, dropout: float, slope: float) -> list[nn.Module]:
    """A (de)convolution followed by batch norm, leaky ReLU and dropout (paper, Section 2.3)."""
    return [conv, nn.BatchNorm2d(out_channels), nn.LeakyReLU(slope), nn.Dropout(dropout)]


def _proposed_trunk(width: float, dropout: float, slope: float) -> tuple[nn.Sequential, int]:
    layers, c_in = [], 1
    for k in range(8):
        c_out = scaled(64 * 2 ** (k // 2), width)
        stride = 2 if k % 2 else 1
        conv = nn.Conv2d(c_in, c_out, kernel_size=4 if stride == 2 else 3, stride=stride, padding=1, bias=False)
        layers += _proposed_block(conv, c_out, dropout, slope)
        c_in = c_out
    return nn.Sequential(*layers, nn.Flatten()), c_in * BOTTLENECK**2


def proposed_generator_body(latent_dim: int, hidden: int, width: float, dropout: float,
                            slope: float) -> tuple[nn.Sequential, int, list[nn.Module], int]:
    """The proposed G's dense layers, its channels at ``8 x 8``, its 8 transposed-convolution blocks and their
    output channels, without the last layer: what :func:`build` ends with the paper's convolution and tanh, and
    a research output layer (``benchmarks/source_filter.py``) with its own."""
    c_in = scaled(512, width)
    dense = nn.Sequential(nn.Linear(latent_dim, hidden), nn.LeakyReLU(slope),
                          nn.Linear(hidden, c_in * BOTTLENECK**2), nn.LeakyReLU(slope))
    layers = []
    for j in range(8):
        c_out = scaled(512 // 2 ** ((j + 1) // 2), width)
        stride = 2 if j % 2 else 1
        deconv = nn.ConvTranspose2d(c_in, c_out, kernel_size=4 if stride == 2 else 3, stride=stride, padding=1,
                                    bias=False)
        layers += _proposed_block(deconv, c_out, dropout, slope)
        c_in = c_out
    return dense, scaled(512, width), layers, c_in


def _keras_initialise(net: nn.Module, kernel_init) -> None:
    """Keras' initialisation of every dense and convolution layer in ``net``: ``kernel_init`` (Glorot), zero bias.

    BAGAN's code keeps Keras' default Glorot-uniform kernels, except Glorot-normal for G's convolutions.
    Without batch norm this matters: PyTorch's default (uniform, variance 1 / (3 fan_in)) shrinks the
    signal about threefold per layer, and through BAGAN's 8 convolutions the encoder's codes of different
    segments hardly differ, so G starts (and after a short training stays) near one output for every code.
    """
    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            kernel_init(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)


def _bagan_trunk(width: float) -> tuple[nn.Sequential, int]:
    layers, c_in = [], 1
    for k, channels in enumerate((32, 64, 128, 256, 256, 256, 256, 256)):
        c_out = scaled(channels, width)
        layers += [nn.Conv2d(c_in, c_out, kernel_size=3, stride=1 if k % 2 else 2, padding=1),
                   nn.LeakyReLU(BAGAN_SLOPE), nn.Dropout(BAGAN_DROPOUT)]
        c_in = c_out
    return nn.Sequential(*layers, nn.Flatten()), c_in * BOTTLENECK**2


def _bagan_generator(latent_dim: int, hidden: int, width: float) -> Generator:
    c_in = scaled(128, width)
    dense = nn.Sequential(nn.Linear(latent_dim, hidden, bias=False), nn.ReLU(),
                          nn.Linear(hidden, c_in * BOTTLENECK**2, bias=False), nn.ReLU())
    layers, resolution = [], BOTTLENECK
    while resolution < IMAGE_SIZE:
        c_out = scaled(256 if resolution < IMAGE_SIZE // 2 else 128, width)
        layers += [nn.Upsample(scale_factor=2, mode="nearest"),
                   nn.Conv2d(c_in, c_out, kernel_size=5, padding=2, bias=False), nn.ReLU()]
        c_in, resolution = c_out, resolution * 2
    # Keras' "same" padding of a 2x2 kernel: one row and one column of zeros after the image
    layers += [nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(c_in, 1, kernel_size=2, bias=False), nn.Tanh()]
    return Generator(dense, scaled(128, width), nn.Sequential(*layers))


def build(
    arch: str,
    n_classes: int,
    width: float = 1.0,
    latent_dim: int = 100,
    hidden: int = 1024,
    dropout: float = 0.2,
    leaky_slope: float = 0.2,
) -> Networks:
    """Fresh (randomly initialised) encoder, generator and discriminator of one architecture.

    Args:
        arch: ``"proposed"`` or ``"bagan"`` (see the module docstring).
        n_classes: K emotions; D outputs K + 1 logits, the last one meaning "fake".
        width: channel multiplier (1.0 = full size); G's hidden dense size is ``hidden * width``.
        latent_dim: code size (paper: 100).
        hidden: G's first dense layer at width 1.
        dropout, leaky_slope: of the proposed model (BAGAN keeps its published 0.3 and 0.3).
    """
    if n_classes < 1:
        raise ConfigError(f"n_classes must be at least 1, got {n_classes}")
    hidden = scaled(hidden, width)
    if arch == "proposed":
        make_trunk = lambda: _proposed_trunk(width, dropout, leaky_slope)  # noqa: E731
        dense, channels, layers, c_out = proposed_generator_body(latent_dim, hidden, width, dropout, leaky_slope)
        layers += [nn.Conv2d(c_out, 1, kernel_size=3, padding=1), nn.Tanh()]
        generator = Generator(dense, channels, nn.Sequential(*layers))
    elif arch == "bagan":
        make_trunk = lambda: _bagan_trunk(width)  # noqa: E731
        generator = _bagan_generator(latent_dim, hidden, width)
    else:
        raise ConfigError(f"unknown GAN architecture {arch!r}; choose proposed or bagan")
    encoder = ConvEncoder(*make_trunk(), latent_dim)
    discriminator = ConvEncoder(*make_trunk(), n_classes + 1)
    if arch == "bagan":
        for net in (encoder, discriminator, generator.dense):
            _keras_initialise(net, nn.init.xavier_uniform_)
        _keras_initialise(generator.body, nn.init.xavier_normal_)
    return Networks(encoder, generator, discriminator)
