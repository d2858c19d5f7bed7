"""The GAN on real EmoDB segments at width 1/16 on the CPU: networks, class Gaussians, the three training
steps, generation, checkpoints and resume, divergence handling."""

from __future__ import annotations

import copy
import math
from dataclasses import replace

import numpy as np
import pytest
import torch

import seraug.gan.logger as logger_module
import seraug.gan.steps as steps_module
import seraug.gan.train as train_module
from seraug.errors import ConfigError
from seraug.gan import GANConfig, GANModel, build, generate, quality_report, train_gan
from seraug.gan.bundle import class_scores
from seraug.gan.diversity import mean_pairwise_distance
from seraug.gan.latent import ClassGaussians
from seraug.gan.steps import autoencoder_step, gan_step, modulation_magnitudes, texture_loss
from seraug.checkpoint import Checkpoint
from seraug.gan import watch as watch_module
from seraug.gan.logger import LossLog
from seraug.gan.state import TrainingState, adam, checkpoint_of
from seraug.errors import TrainingDivergedError
from seraug.gan.train import Variant, init_gan, run_epoch, train_autoencoder
from seraug.features.normalise import MinMaxScaler

CLASSES = ["anger", "neutral", "sadness"]
TINY = GANConfig(width=1 / 16, batch_size=8, ae_epochs=2, gan_epochs=2)
EMA = replace(TINY, gan_lr=1e-3, g_ema=0.5)
TEXTURE = replace(EMA, ae_texture_weight=10.0)


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


def test_bagan_follows_the_original_code():
    """Layer sizes, Keras initialisation and learning rates of BAGAN's public code (see seraug.gan.models)."""
    encoder, generator, discriminator = build("bagan", n_classes=4)
    assert [generator.dense[0].out_features, generator.dense[2].out_features] == [1024, 128 * 8 * 8]
    convs = [m for m in generator.body if isinstance(m, torch.nn.Conv2d)]
    assert [(m.out_channels, m.kernel_size) for m in convs] == [(256, (5, 5))] * 3 + [(128, (5, 5)), (1, (2, 2))]
    assert [m.out_channels for m in discriminator.trunk if isinstance(m, torch.nn.Conv2d)] == [32, 64, 128] + [256] * 5
    assert all(not m.bias.detach().any() for net in (encoder, discriminator)
               for m in net.modules() if isinstance(m, torch.nn.Conv2d))  # Keras' zero biases
    assert GANConfig(arch="bagan").fine_tuning_lr == 5e-5 and GANConfig().fine_tuning_lr == 1e-6
    assert GANConfig(arch="bagan", gan_lr=1e-4).fine_tuning_lr == 1e-4


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
    optimizer = adam([*encoder.parameters(), *generator.parameters()], config.ae_lr, config)
    x = torch.from_numpy(X).unsqueeze(1)

    def error() -> float:  # batch statistics (train mode) over all 24 segments; no dropout to blur it
        with torch.no_grad():
            return float(((generator(encoder(x)) - x) ** 2).mean())

    before = error()
    for _ in range(3):
        for batch in x[torch.randperm(len(x))].split(8):
            autoencoder_step(encoder, generator, optimizer, batch)
    assert error() < 0.7 * before


def _fine_tuning_step(small, arch: str, monkeypatch) -> tuple[list, list, torch.Tensor, torch.Tensor]:
    """One gan_step on 8 real segments; returns D's batches (inputs, targets), the code counts drawn, x, y."""
    X, y, _, _ = small
    torch.manual_seed(0)
    _, generator, discriminator = build(arch, 3, 1 / 16)
    config = GANConfig(arch=arch)
    opt_g = adam(generator.parameters(), config.fine_tuning_lr, config)
    opt_d = adam(discriminator.parameters(), config.fine_tuning_lr, config)
    g_before, d_before = _params(generator), _params(discriminator)
    d_batches, drawn, real_update = [], [], steps_module._d_update

    def recording_update(net, optimizer, inputs, targets, *args, **kwargs):
        d_batches.append((inputs.detach().clone(), targets.clone()))
        return real_update(net, optimizer, inputs, targets, *args, **kwargs)

    def sample_codes(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        drawn.append(n)
        return torch.randn(n, 100), torch.arange(n) % 3

    monkeypatch.setattr(steps_module, "_d_update", recording_update)
    rows = [0, 9, 17, 1, 10, 18, 2, 11]  # two or three of each class
    x, labels = torch.from_numpy(X[rows]).unsqueeze(1), torch.from_numpy(y[rows])
    stats = gan_step(generator, discriminator, opt_g, opt_d, x, labels, sample_codes, arch)
    assert torch.isfinite(stats).all() and stats.shape == (6,)
    assert any(not torch.equal(a, b) for a, b in zip(g_before, generator.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d_before, discriminator.parameters()))
    return d_batches, drawn, x, labels


def test_proposed_d_sees_real_and_fake_in_separate_batches(small, monkeypatch):
    """Paper: real and fake in successive D batches, real -> its class, fake -> K; G on the same B fakes."""
    d_batches, drawn, x, y = _fine_tuning_step(small, "proposed", monkeypatch)
    (real, real_targets), (fake, fake_targets) = d_batches
    assert torch.equal(real, x) and torch.equal(real_targets, y)
    assert len(fake) == len(x) and not torch.equal(fake, x) and (fake_targets == 3).all()
    assert drawn == [len(x)]


def test_bagan_d_sees_one_mixed_batch_and_g_a_fresh_one(small, monkeypatch):
    """BAGAN's code: B real + ceil(B / K) fakes in one D batch; G on B + ceil(B / K) fresh codes."""
    d_batches, drawn, x, y = _fine_tuning_step(small, "bagan", monkeypatch)
    [(inputs, targets)] = d_batches
    n_fake = math.ceil(8 / 3)
    assert len(inputs) == 8 + n_fake and torch.equal(inputs[:8], x)
    assert torch.equal(targets, torch.cat([y, torch.full((n_fake,), 3)]))
    assert drawn == [n_fake, 8 + n_fake]


def test_train_autoencoder_is_step_a_alone_and_learns_to_reconstruct(small):
    """What benchmarks/gan_autoencoder.py relies on: the same seed gives the same autoencoder, its
    reconstructions of real segments beat an untrained one's, and a given loss is the one trained on."""
    X, y, _, _ = small
    batch = torch.from_numpy(X[:, None])

    def mse(config: GANConfig, loss=None) -> float:
        variant = Variant("loss", reconstruction_loss=lambda generator: loss) if loss else Variant()
        encoder, generator = train_autoencoder(X, y, 3, config, "cpu", variant)
        assert not encoder.training and not generator.training
        with torch.no_grad():
            reconstruction = generator(encoder(batch))
        assert reconstruction.shape == (len(X), 1, 128, 128) and reconstruction.abs().max() <= 1
        return float(((reconstruction - batch) ** 2).mean())

    trained = replace(TINY, dropout=0.0, ae_lr=1e-3, ae_epochs=6)
    assert mse(trained) == mse(trained)
    assert mse(trained) < 0.8 * mse(replace(trained, ae_epochs=0))
    assert mse(trained, torch.nn.functional.l1_loss) != mse(trained)  # another loss trains another autoencoder
    assert mse(replace(trained, ae_texture_weight=10.0)) != mse(trained)  # the config's texture term is trained on


def test_texture_loss_spares_striations_a_few_bands_off_but_not_a_blur(small):
    """``GANConfig.ae_texture_weight``'s term on real EmoDB segments: the segments moved by 2 mel bands (their
    harmonics drawn at a slightly other pitch) cost it a fraction of what their blur along the mel axis
    costs, while the paper's MSE finds the blur closer; at weight 0 the loss is the MSE."""
    X, _, _, _ = small
    x = torch.from_numpy(X[:, None]).float()
    moved = torch.roll(x, 2, dims=2)
    blurred = torch.nn.functional.avg_pool2d(x, (5, 1), stride=1, padding=(2, 0), count_include_pad=False)
    mse = torch.nn.functional.mse_loss

    def texture(a: torch.Tensor) -> float:
        return float(texture_loss(1.0)(a, x) - mse(a, x))

    assert mse(moved, x) > mse(blurred, x)
    assert texture(moved) < 0.5 * texture(blurred), (texture(moved), texture(blurred))  # 0.24 measured
    assert texture_loss(0.0)(moved, x) == mse(moved, x)
    magnitudes = modulation_magnitudes(x)  # 7 tiles of 32 bands at 16-band steps in each of 128 frames
    assert magnitudes.shape == (len(x), 7 * 128, 32, 1)


def test_gan_initialisation_copies_the_encoder_trunk_into_d(small):
    X, y, _, _ = small
    state = TrainingState.new(X, y, CLASSES, TINY, torch.device("cpu"))
    checkpoint = checkpoint_of(None, state, X, y)
    checkpoint.save(state.to_dict())
    run_epoch(state, checkpoint, LossLog(None, progress=False))  # one autoencoder epoch: the trunks differ from new
    init_gan(state)
    encoder_trunk, d_trunk = state.encoder.trunk.state_dict(), state.discriminator.trunk.state_dict()
    assert list(encoder_trunk) == list(d_trunk)
    for name, tensor in encoder_trunk.items():
        assert torch.equal(tensor, d_trunk[name]), name


def test_generated_segments_vary_like_real_ones(trained, small):
    """Healthy after a short training: each class's samples vary at least ``collapse_ratio`` (0.1) times as much
    as its real segments (about 0.6 here). The same model with G's batch-norm statistics left stale, as before
    they were recomputed after training, gives about 1e-6 and is flagged."""
    model, _ = trained
    X, y, _, _ = small
    healthy = quality_report(model, X, y)["classes"]
    assert all(c["diversity_ratio"] >= model.config.collapse_ratio and not c["mode_collapse"] for c in healthy.values())
    stale = copy.deepcopy(model)
    for norm in stale.generator.modules():
        if isinstance(norm, torch.nn.BatchNorm2d):
            norm.reset_running_stats()
    collapsed = quality_report(stale, X, y)["classes"]
    assert all(c["diversity_ratio"] < model.config.collapse_ratio and c["mode_collapse"] for c in collapsed.values())


def test_sample_spread_draws_codes_nearer_their_class_mean(trained):
    """What ``generate(spread=...)`` trades: at 0.5 the codes lie half as far from their class's mean as at 1
    (same seed), so the decoded segments vary less."""
    model, _ = trained
    gaussians, anger = model.gaussians, torch.zeros(64, dtype=torch.long)
    mean = torch.from_numpy(gaussians.means[0]).float()
    full = gaussians.sample(anger, torch.Generator().manual_seed(0)) - mean
    half = gaussians.sample(anger, torch.Generator().manual_seed(0), spread=0.5) - mean
    torch.testing.assert_close(half, 0.5 * full)
    assert (mean_pairwise_distance(generate(model, "anger", 32, seed=1, spread=0.5))
            < 0.9 * mean_pairwise_distance(generate(model, "anger", 32, seed=1)))
    with pytest.raises(ConfigError, match="spread must be positive"):
        generate(model, "anger", 1, spread=0.0)


def test_best_of_keeps_the_draws_d_finds_most_like_their_class(trained):
    """``generate(best_of=4)``: of 4 draws per sample, the kept ones are those D rates most likely real
    segments of their class, so they score above plain draws on average; the count, the range and the seed's
    determinism are those of plain sampling, and D is left in its mode."""
    model, _ = trained
    model.discriminator.train()
    kept, plain = generate(model, "anger", 16, seed=2, best_of=4), generate(model, "anger", 16, seed=2)
    assert model.discriminator.training
    assert kept.shape == plain.shape and kept.min() >= -1 and kept.max() <= 1
    assert np.array_equal(kept, generate(model, "anger", 16, seed=2, best_of=4))
    assert class_scores(model.discriminator, kept, 0).mean() > class_scores(model.discriminator, plain, 0).mean()
    assert generate(model, "anger", 0, best_of=4).shape == (0, 128, 128)
    with pytest.raises(ConfigError, match="best_of at least 1"):
        generate(model, "anger", 1, best_of=0)


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


@pytest.mark.parametrize("config", [TINY, EMA, TEXTURE], ids=["paper", "g-ema", "texture"])
def test_interrupted_run_resumes_identically(small, trained, tmp_path, monkeypatch, config):
    """Stop after the first fine-tuning epoch's checkpoint, re-run: same weights as the uninterrupted run."""
    X, y, _, _ = small
    model = trained[0] if config == TINY else train_gan(X, y, 3, config, tmp_path / "whole", "cpu",
                                                        class_names=CLASSES, progress=False)

    saves, original_save = [], Checkpoint.save

    def save_then_interrupt(checkpoint, state):
        original_save(checkpoint, state)
        saves.append(state["phase"])
        if state["phase"] == "gan" and state["epoch"] == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(Checkpoint, "save", save_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        train_gan(X, y, 3, config, tmp_path, "cpu", class_names=CLASSES, progress=False)
    monkeypatch.setattr(Checkpoint, "save", original_save)
    assert (tmp_path / "checkpoint.pt").exists() and not (tmp_path / "model.json").exists()
    saved = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    del saved["config"]["version"]  # as version 1 wrote it, retired fields at their neutral values: the same run
    saved["config"] |= {"r1_gamma": 0.0, "balanced_real": False, "d_lr_scale": 1.0, "gan_rhythm_weight": 0.0}
    torch.save(saved, tmp_path / "checkpoint.pt")
    resumed = train_gan(X, y, 3, config, tmp_path, "cpu", class_names=CLASSES, progress=False)
    for a, b in [(model.generator, resumed.generator), (model.discriminator, resumed.discriminator)]:
        for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
            assert torch.equal(p, q), name
    assert np.array_equal(model.gaussians.covariances, resumed.gaussians.covariances)
    losses = (tmp_path / "losses.csv").read_text().splitlines()
    assert len(losses) == 1 + config.ae_epochs + config.gan_epochs  # header + one row per epoch, none twice
    with pytest.raises(ValueError, match="other settings.*gan_lr"):
        train_gan(X, y, 3, replace(config, gan_lr=1e-5), tmp_path, "cpu", progress=False)


def test_fine_tuning_starts_from_another_runs_autoencoder_and_goes_on_with_more_epochs(small, trained, tmp_path):
    """The public way to compare fine-tuning settings on one autoencoder (benchmarks/gan_fine_tuning.py): the same
    steps (a) and (b) as training whole, then fine-tuning under the new settings; a resumed run with more
    gan_epochs continues it; a run that differs before fine-tuning is refused."""
    X, y, _, _ = small
    train_gan(X, y, 3, replace(TINY, gan_epochs=0), tmp_path / "ae", "cpu", class_names=CLASSES, progress=False)
    one = train_gan(X, y, 3, replace(TINY, gan_epochs=1), tmp_path / "ft", "cpu", class_names=CLASSES,
                    progress=False, autoencoder=tmp_path / "ae")
    assert np.array_equal(one.gaussians.covariances, trained[0].gaussians.covariances)  # steps (a) and (b) shared
    two = train_gan(X, y, 3, TINY, tmp_path / "ft", "cpu", class_names=CLASSES, progress=False,
                    autoencoder=tmp_path / "ae")
    for (name, p), q in zip(trained[0].generator.state_dict().items(), two.generator.state_dict().values()):
        assert torch.equal(p, q), name  # 1 + 1 epochs from the shared autoencoder = 2 epochs of training whole
    with pytest.raises(ValueError, match="more than gan_epochs=1"):
        train_gan(X, y, 3, replace(TINY, gan_epochs=1), tmp_path / "ft", "cpu", progress=False)
    with pytest.raises(ValueError, match="other settings: ae_lr"):
        train_gan(X, y, 3, replace(TINY, ae_lr=1e-3), tmp_path / "other", "cpu", progress=False,
                  autoencoder=tmp_path / "ae")


class _Writer:
    """Stands in for TensorBoard's SummaryWriter; remembers whether it was closed."""

    def __init__(self) -> None:
        self.closed = False

    def add_scalar(self, *args) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def test_non_finite_loss_returns_to_last_good_checkpoint_then_stops(small, tmp_path, monkeypatch):
    X, y, _, _ = small
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
    writers = []
    monkeypatch.setattr(logger_module, "_tensorboard", lambda out: writers.append(_Writer()) or writers[-1])
    stopped = tmp_path / "stopped"
    with pytest.raises(TrainingDivergedError, match="autoencoder loss is nan.*after 1 recoveries"):
        train_gan(X, y, 3, config, stopped, "cpu", progress=False)
    assert (stopped / "checkpoint.pt").exists() and not (stopped / "weights.pt").exists()
    assert writers[0].closed  # the TensorBoard log is flushed even when training stops with an error


def _diversity_ratios(monkeypatch, *sequence: list[float]) -> None:
    """Make ``diversity_ratios`` return the given per-class ratios in turn (the last one from then on)."""
    answers = list(sequence)
    answer = lambda state: answers.pop(0) if len(answers) > 1 else answers[0]  # noqa: E731
    monkeypatch.setattr(watch_module, "diversity_ratios", answer)
    monkeypatch.setattr(train_module, "diversity_ratios", answer)


def test_mode_collapse_is_detected_against_real_diversity(small, monkeypatch):
    """After fine-tuning epoch 1, anger's samples are all the same segment: real diversity >> 0, samples 0."""
    X, y, _, _ = small
    real_sampler = watch_module.sample_images
    calls = []

    def identical_after_start(generator, gaussians, k, n, seed):
        calls.append(k)
        images = real_sampler(generator, gaussians, k, n, seed)
        return np.repeat(images[:1], n, axis=0) if len(calls) > 3 and k == 0 else images

    monkeypatch.setattr(watch_module, "sample_images", identical_after_start)
    config = GANConfig(width=1 / 16, batch_size=8, ae_epochs=2, gan_epochs=1, max_recoveries=0)
    with pytest.raises(TrainingDivergedError, match="mode collapse in class anger.*vary 0 times as much"):
        train_gan(X, y, 3, config, None, "cpu", class_names=CLASSES, progress=False)


def test_class_below_threshold_at_start_warns_and_is_not_watched(small, tmp_path, monkeypatch):
    """An undertrained autoencoder is reported, not treated as a collapse that going back could mend."""
    X, y, _, _ = small
    _diversity_ratios(monkeypatch, [0.01, 1.0, 1.0], [0.0, 1.0, 1.0])
    config = GANConfig(width=1 / 16, batch_size=8, ae_epochs=0, gan_epochs=1, max_recoveries=0)
    with pytest.warns(UserWarning, match=r"anger \(0.01\) vary less than collapse_ratio=0.1.*raise ae_epochs"):
        train_gan(X, y, 3, config, tmp_path, "cpu", class_names=CLASSES, progress=False)
    rows = (tmp_path / "losses.csv").read_text().splitlines()[1:]
    assert rows[0].startswith("gan,0,") and "undertrained" in rows[0] and rows[1].startswith("gan,1,")


def test_recoveries_are_counted_per_step(small, tmp_path, monkeypatch):
    """One recovery in the autoencoder does not use up fine-tuning's one (max_recoveries=1)."""
    X, y, _, _ = small
    real_step, calls = train_module.autoencoder_step, []

    def nan_once(*args, **kwargs):
        calls.append(1)
        return real_step(*args, **kwargs) * (float("nan") if len(calls) == 1 else 1)

    monkeypatch.setattr(train_module, "autoencoder_step", nan_once)
    _diversity_ratios(monkeypatch, [1.0] * 3, [0.0, 1.0, 1.0], [1.0] * 3)  # start, epoch 1 collapses, retry fine
    config = GANConfig(width=1 / 16, batch_size=8, ae_epochs=1, gan_epochs=1, max_recoveries=1)
    train_gan(X, y, 3, config, tmp_path, "cpu", class_names=CLASSES, progress=False)
    rows = [row.split(",")[:2] for row in (tmp_path / "losses.csv").read_text().splitlines()[1:]]
    assert rows == [["ae", "0"], ["ae", "1"], ["gan", "0"], ["gan", "1"]]  # each step: a recovery, then its epoch


def test_bad_training_input_is_named(small):
    X, y, _, _ = small
    with pytest.raises(ValueError, match=r"normalised into \[-1, 1\]"):
        train_gan(X * 50, y, 3, TINY, progress=False)
    with pytest.raises(ValueError, match="classes \\[3\\] have no training segments"):
        train_gan(X, y, 4, TINY, progress=False)
    with pytest.raises(ValueError, match="GANConfig.arch"):
        GANConfig(arch="dcgan")


def test_moving_average_of_g_is_the_g_that_generates(small, tmp_path, monkeypatch):
    """g_ema=0.5: the model's G holds 0.5 * average + 0.5 * G after every fine-tuning step, not G's last weights."""
    X, y, _, _ = small
    real_step, after_steps = train_module.gan_step, []

    def recording_step(generator, *args, **kwargs):
        stats = real_step(generator, *args, **kwargs)
        after_steps.append(_params(generator))
        return stats

    monkeypatch.setattr(train_module, "gan_step", recording_step)
    model = train_gan(X, y, 3, EMA, tmp_path, "cpu", class_names=CLASSES, progress=False)
    expected = after_steps[0]
    for weights in after_steps[1:]:
        expected = [0.5 * e + 0.5 * w for e, w in zip(expected, weights)]
    assert len(after_steps) == EMA.gan_epochs * 3  # 24 segments, batches of 8
    for e, p, last in zip(expected, model.generator.parameters(), after_steps[-1]):
        assert torch.allclose(p, e, atol=1e-6) and not torch.equal(p, last)
