"""The GAN on real EmoDB segments at width 1/16 on the CPU: networks, class Gaussians, the three training
steps, generation, checkpoints and resume, divergence handling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seraug.gan import GANConfig, GANModel, build, generate, train_gan
from seraug.gan.latent import ClassGaussians
from seraug.gan.train import TrainingDivergedError, _adam, autoencoder_step, gan_step
from seraug.normalise import MinMaxScaler

CLASSES = ["anger", "neutral", "sadness"]
TINY = GANConfig(width=1 / 16, batch_size=8, ae_epochs=2, gan_epochs=2)


@pytest.fixture(scope="module")
def small(emodb_features):
    """24 real segments (8 of each of 3 emotions), normalised with a scaler fitted on them."""
    X, segments, config = emodb_features
    labels = segments["label"].to_numpy()
    rows = np.concatenate([np.flatnonzero(labels == name)[:8] for name in CLASSES])
    scaler = MinMaxScaler().fit(X[rows])
    y = np.searchsorted(CLASSES, labels[rows])
    return scaler.transform(X[rows]), y, scaler, config


@pytest.fixture(scope="module")
def trained(small, tmp_path_factory):
    """A tiny proposed GAN trained through all three steps into a model folder."""
    X, y, scaler, config = small
    out = tmp_path_factory.mktemp("gan-model")
    model = train_gan(X, y, 3, TINY, out, "cpu", class_names=CLASSES, scaler=scaler, features=config,
                      progress=False)
    return model, out


def _params(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


@pytest.mark.parametrize("arch", ["proposed", "bagan"])
def test_networks_have_the_papers_shapes(arch):
    encoder, generator, discriminator = build(arch, n_classes=7, width=1 / 16)
    x = torch.rand(2, 1, 128, 128) * 2 - 1
    assert encoder(x).shape == (2, 100)
    images = generator(torch.randn(2, 100))
    assert images.shape == (2, 1, 128, 128) and images.abs().max() <= 1
    assert discriminator(images).shape == (2, 8)  # 7 emotions + fake
    layers = [type(m) for m in generator.modules()]
    trunk_convs = [m for m in discriminator.trunk if isinstance(m, torch.nn.Conv2d)]
    assert len(trunk_convs) == 8 and sum(m.stride == (2, 2) for m in trunk_convs) == 4
    if arch == "proposed":
        assert layers.count(torch.nn.ConvTranspose2d) == 8 and layers.count(torch.nn.Linear) == 2
        assert torch.nn.BatchNorm2d in layers and torch.nn.Upsample not in layers
        assert [type(m) for m in discriminator.trunk[:4]] == [torch.nn.Conv2d, torch.nn.BatchNorm2d,
                                                             torch.nn.LeakyReLU, torch.nn.Dropout]
        assert discriminator.trunk[3].p == 0.2
    else:
        assert torch.nn.ConvTranspose2d not in layers and layers.count(torch.nn.Upsample) == 4
        assert torch.nn.BatchNorm2d not in [type(m) for m in [*generator.modules(), *discriminator.modules()]]


def test_full_width_is_the_default_size():
    _, generator, discriminator = build("proposed", n_classes=4)
    assert discriminator.head.in_features == 512 * 8 * 8
    assert generator.dense[2].out_features == 512 * 8 * 8 and generator.dense[0].out_features == 1024


def test_class_gaussians_are_psd_even_with_fewer_samples_than_dimensions():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(33, 100))
    y = np.array([0] * 30 + [1] * 2 + [2])  # class 1: 2 codes in 100-d; class 2: one code
    gaussians = ClassGaussians.fit(codes, y, 3)
    assert gaussians.means.shape == (3, 100) and gaussians.covariances.shape == (3, 100, 100)
    for cov in gaussians.covariances:
        assert np.allclose(cov, cov.T)
        assert np.linalg.eigvalsh(cov).min() > 0  # shrinkage makes them positive definite
    draws = gaussians.sample(torch.zeros(4000, dtype=torch.long), torch.Generator().manual_seed(0)).numpy()
    assert np.allclose(draws.mean(0), gaussians.means[0], atol=0.1)
    assert np.allclose(np.cov(draws, rowvar=False), gaussians.covariances[0], atol=0.1)
    with pytest.raises(ValueError, match="no segments"):
        ClassGaussians.fit(codes, y, 4)


def test_trained_model_has_class_gaussians_of_the_codes(trained, small):
    model, out = trained
    assert model.gaussians.means.shape == (3, 100) and model.gaussians.covariances.shape == (3, 100, 100)
    assert model.gaussians.counts.tolist() == np.bincount(small[1]).tolist()
    assert np.linalg.eigvalsh(model.gaussians.covariances).min() >= -1e-9


def test_reconstruction_error_falls(small):
    """Step (a) on real segments: the autoencoder's MSE drops within a few epochs (lr raised for speed)."""
    X, _, _, _ = small
    config = GANConfig(dropout=0.0, ae_lr=1e-3)
    torch.manual_seed(0)
    encoder, generator, _ = build("proposed", 3, 1 / 16, dropout=config.dropout)
    optimizer = _adam([*encoder.parameters(), *generator.parameters()], config.ae_lr, config)
    x = torch.from_numpy(X).unsqueeze(1)

    def error() -> float:  # batch statistics (train mode) over all 24 segments; no dropout to blur it
        with torch.no_grad():
            return float(((generator(encoder(x)) - x) ** 2).mean())

    before = error()
    for _ in range(3):
        for batch in x[torch.randperm(len(x))].split(8):
            autoencoder_step(encoder, generator, optimizer, batch)
    assert error() < 0.7 * before


@pytest.mark.parametrize("arch", ["proposed", "bagan"])
def test_one_fine_tuning_step_changes_both_g_and_d(small, arch):
    X, y, _, _ = small
    torch.manual_seed(0)
    _, generator, discriminator = build(arch, 3, 1 / 16)
    config = GANConfig()
    opt_g, opt_d = _adam(generator.parameters(), 1e-6, config), _adam(discriminator.parameters(), 1e-6, config)
    g_before, d_before = _params(generator), _params(discriminator)
    conditioning = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    stats = gan_step(generator, discriminator, opt_g, opt_d, torch.from_numpy(X[:8]).unsqueeze(1),
                     torch.from_numpy(y[:8]), torch.randn(8, 100), conditioning, separate_batches=arch == "proposed")
    assert torch.isfinite(stats).all() and stats.shape == (6,)
    assert any(not torch.equal(a, b) for a, b in zip(g_before, generator.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d_before, discriminator.parameters()))


def test_generated_arrays_are_segments_in_range(trained):
    model, _ = trained
    a = generate(model, "sadness", 10, seed=3)
    assert a.shape == (10, 128, 128) and a.dtype == np.float32
    assert a.min() >= -1 and a.max() <= 1
    assert np.array_equal(a, generate(model, 2, 10, seed=3))  # same seed, same arrays; name or index
    assert not np.array_equal(a, generate(model, "sadness", 10, seed=4))
    with pytest.raises(ValueError, match="anger, neutral, sadness"):
        generate(model, "boredom", 1)


def test_saved_model_loads_and_generates_the_same(trained):
    model, out = trained
    loaded = GANModel.load(out)
    assert loaded.class_names == CLASSES and loaded.config == TINY
    assert loaded.scaler.to_dict() == model.scaler.to_dict() and loaded.features == model.features
    assert np.array_equal(generate(loaded, "anger", 4, seed=1), generate(model, "anger", 4, seed=1))
    with pytest.raises(FileNotFoundError, match="not a trained GAN"):
        GANModel.load(out / "nothing")


def test_interrupted_run_resumes_identically(small, trained, tmp_path, monkeypatch):
    """Stop after the first fine-tuning epoch's checkpoint, re-run: same weights as the uninterrupted run."""
    X, y, scaler, config = small
    model, _ = trained
    import seraug.gan.train as train_module

    saves, original_save = [], train_module._Run.save

    def save_then_interrupt(run):
        original_save(run)
        saves.append(run.phase)
        if run.phase == "gan" and run.epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(train_module._Run, "save", save_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        train_gan(X, y, 3, TINY, tmp_path, "cpu", class_names=CLASSES, progress=False)
    monkeypatch.setattr(train_module._Run, "save", original_save)
    assert (tmp_path / "checkpoint.pt").exists() and not (tmp_path / "model.json").exists()
    resumed = train_gan(X, y, 3, TINY, tmp_path, "cpu", class_names=CLASSES, progress=False)
    for a, b in [(model.generator, resumed.generator), (model.discriminator, resumed.discriminator)]:
        for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
            assert torch.equal(p, q), name
    assert np.array_equal(model.gaussians.covariances, resumed.gaussians.covariances)
    losses = (tmp_path / "losses.csv").read_text().splitlines()
    assert len(losses) == 1 + TINY.ae_epochs + TINY.gan_epochs  # header + one row per epoch, none twice
    with pytest.raises(ValueError, match="other settings.*gan_lr"):
        train_gan(X, y, 3, GANConfig(**{**TINY.to_dict(), "gan_lr": 1e-5}), tmp_path, "cpu", progress=False)


def test_non_finite_loss_returns_to_last_good_checkpoint_then_stops(small, tmp_path, monkeypatch):
    X, y, _, _ = small
    import seraug.gan.train as train_module

    real_step = train_module.autoencoder_step
    calls = []

    def nan_in_second_epoch(*args, **kwargs):
        calls.append(1)
        loss = real_step(*args, **kwargs)
        return loss * float("nan") if 3 < len(calls) <= 6 else loss  # epoch 2 (3 steps per epoch) goes bad once

    monkeypatch.setattr(train_module, "autoencoder_step", nan_in_second_epoch)
    config = GANConfig(width=1 / 16, batch_size=8, ae_epochs=3, gan_epochs=0, max_recoveries=1)
    train_gan(X, y, 3, config, tmp_path, "cpu", progress=False)
    rows = (tmp_path / "losses.csv").read_text().splitlines()[1:]
    assert "back to the last good checkpoint" in rows[1] and rows[1].startswith("ae,1,")
    assert [r.split(",")[:2] for r in rows] == [["ae", "1"], ["ae", "1"], ["ae", "2"], ["ae", "3"]]
    assert float(rows[-1].split(",")[9]) == pytest.approx(config.ae_lr / 2)  # learning rate halved

    monkeypatch.setattr(train_module, "autoencoder_step", lambda *a, **k: real_step(*a, **k) * float("nan"))
    stopped = tmp_path / "stopped"
    with pytest.raises(TrainingDivergedError, match="autoencoder loss is nan.*after 1 recoveries"):
        train_gan(X, y, 3, config, stopped, "cpu", progress=False)
    assert (stopped / "checkpoint.pt").exists() and not (stopped / "weights.pt").exists()


def test_mode_collapse_is_detected(small, monkeypatch):
    X, y, _, _ = small
    import seraug.gan.train as train_module

    measured = []

    def diversity_then_collapse(images, seed=0):
        measured.append(1)
        return 1.0 if len(measured) <= 3 else 0.01  # the reference (3 classes), then collapsed

    monkeypatch.setattr(train_module, "mean_pairwise_distance", diversity_then_collapse)
    config = GANConfig(width=1 / 16, batch_size=8, ae_epochs=0, gan_epochs=1, max_recoveries=0)
    with pytest.raises(TrainingDivergedError, match="mode collapse in class anger"):
        train_gan(X, y, 3, config, None, "cpu", class_names=CLASSES, progress=False)


def test_bad_training_input_is_named(small):
    X, y, _, _ = small
    with pytest.raises(ValueError, match=r"normalised into \[-1, 1\]"):
        train_gan(X * 50, y, 3, TINY, progress=False)
    with pytest.raises(ValueError, match="classes \\[3\\] have no training segments"):
        train_gan(X, y, 4, TINY, progress=False)
    with pytest.raises(ValueError, match="GANConfig.arch"):
        GANConfig(arch="dcgan")
