"""The VGG19 network: shapes, layer counts and parameter count against VGG19-BN's definition."""

import numpy as np
import pytest
import torch
from torch import nn

from seraug.classifier import VGG19, load_model, predict_proba, save_model

VGG19_CONV_CHANNELS = [64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512]


def vgg19_bn_parameter_count(in_channels: int, flat: int, hidden: int, n_classes: int, batch_norm: bool = True) -> int:
    """Parameters of VGG19(-BN) from its definition: 16 3x3 convolutions (+ BN scale and shift), 3 linear layers."""
    total, previous = 0, in_channels
    for out in VGG19_CONV_CHANNELS:
        total += 9 * previous * out + out + (2 * out if batch_norm else 0)
        previous = out
    for fan_in, fan_out in ((flat, hidden), (hidden, hidden), (hidden, n_classes)):
        total += fan_in * fan_out + fan_out
    return total


def n_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_formula_reproduces_the_published_imagenet_counts():
    # torchvision's vgg19_bn and vgg19 (3 x 224 x 224 inputs, 7 x 7 x 512 features, 1000 classes).
    assert vgg19_bn_parameter_count(3, 512 * 7 * 7, 4096, 1000) == 143_678_248
    assert vgg19_bn_parameter_count(3, 512 * 7 * 7, 4096, 1000, batch_norm=False) == 143_667_240


def test_full_width_is_vgg19_bn_with_a_128x128_head():
    model = VGG19(n_classes=7)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == VGG19_CONV_CHANNELS and convs[0].in_channels == 1
    assert len([m for m in model.modules() if isinstance(m, nn.Linear)]) == 3
    assert len([m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]) == 16
    assert n_parameters(model) == vgg19_bn_parameter_count(1, 512 * 4 * 4, 4096, 7) == 70_402_759
    plain = VGG19(n_classes=7, batch_norm=False)
    assert n_parameters(plain) == vgg19_bn_parameter_count(1, 512 * 4 * 4, 4096, 7, batch_norm=False)


def test_small_width_output_shape():
    model = VGG19(n_classes=4, width=1 / 16).eval()
    assert [m.out_channels for m in model.modules() if isinstance(m, nn.Conv2d)][::4] == [4, 16, 32, 32]
    with torch.no_grad():
        assert model(torch.zeros(3, 1, 128, 128)).shape == (3, 4)
    wide = VGG19(n_classes=2, width=1 / 16, input_size=(128, 256)).eval()
    with torch.no_grad():
        assert wide(torch.zeros(1, 1, 128, 256)).shape == (1, 2)


def test_gap_head_keeps_vgg19s_convolutions_and_pools_over_frequency_and_time():
    vgg, gap = VGG19(n_classes=7, width=1 / 8), VGG19(n_classes=7, width=1 / 8, head="gap").eval()
    assert n_parameters(gap.features) == n_parameters(vgg.features)
    assert n_parameters(gap.classifier) == 64 * 7 + 7  # one linear layer on the 64 pooled channels
    for size in ((128, 128), (128, 256)):  # any length: the head averages whatever the trunk gives
        with torch.no_grad():
            assert VGG19(7, 1 / 8, head="gap", input_size=size).eval()(torch.zeros(2, 1, *size)).shape == (2, 7)


@pytest.mark.parametrize("kwargs, message", [
    ({"n_classes": 4, "head": "mlp"}, "head must be one of"),
    ({"n_classes": 1}, "n_classes must be at least 2"),
    ({"n_classes": 4, "width": 0}, "width must be positive"),
    ({"n_classes": 4, "input_size": (100, 128)}, "multiples of 32"),
    ({"n_classes": 4, "dropout": 1.0}, "dropout"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VGG19(**kwargs)


def test_save_and_load_round_trip(tmp_path):
    torch.manual_seed(0)
    model = VGG19(n_classes=3, width=1 / 32, dropout=0.1).eval()
    X = np.random.default_rng(0).uniform(-1, 1, (5, 128, 128)).astype(np.float32)
    save_model(model, tmp_path / "model.pt")
    loaded = load_model(tmp_path / "model.pt")
    assert loaded.config == model.config
    np.testing.assert_array_equal(predict_proba(loaded, X), predict_proba(model, X))
    with pytest.raises(FileNotFoundError, match="no saved classifier"):
        load_model(tmp_path / "missing.pt")
