"""The research variants kept runnable in ``benchmarks/gan_variants.py`` (the recipes use none of them), on real
EmoDB segments: G's feature-matching profiles, the source-filter output layer (the harmonic comb, the pitch read
off log-mel segments, a G that draws the harmonics of its own pitch contour, an autoencoder that learns the real
segments' pitch), and a variant trained end to end through :class:`seraug.gan.train.Variant`."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import librosa
import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
from gan_variants import (VARIANTS, SourceFilterGenerator, glide_profile, level_profile,  # noqa: E402
                          rhythm_profile, texture_profile)
from source_filter import harmonic_comb, mel_pitch, pitch_statistics  # noqa: E402

from seraug.features.logmel import LogMelConfig, mel_filters  # noqa: E402
from seraug.gan import GANConfig, build, generate, train_gan  # noqa: E402
from seraug.gan.quality import PAUSE_LEVEL, pause_share  # noqa: E402
from seraug.gan.steps import autoencoder_step, gan_step  # noqa: E402
from seraug.gan.state import adam  # noqa: E402
from seraug.features.normalise import MinMaxScaler  # noqa: E402


def _params(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]

FEATURES = LogMelConfig()
FILTERS = mel_filters(FEATURES, torch.device("cpu"))
BIN_HZ = FEATURES.sample_rate / FEATURES.n_fft
FEMALE, MALE = {"08", "09", "13", "14", "16"}, {"03", "10", "11", "12", "15"}  # EmoDB's documentation
TINY = GANConfig(width=1 / 16, batch_size=8, ae_epochs=2, gan_epochs=2)


def _octaves(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.log2(a / b).abs()


def test_harmonic_comb_peaks_at_the_harmonics_and_is_flat_where_bands_are_wide():
    comb = harmonic_comb(torch.full((1, 1), 200.0), FILTERS, BIN_HZ)[0, :, 0]
    centres = librosa.mel_frequencies(FEATURES.n_mels + 2, fmax=FEATURES.sample_rate / 2)[1:-1]

    def band(hz: float) -> int:
        return int(np.abs(centres - hz).argmin())

    for k in (1, 2, 3, 4):
        assert comb[band(200 * k)] > 2 and comb[band(200 * k + 100)] < 0.5, k
    assert 0.8 < float(comb[torch.from_numpy(centres > 3000)].mean()) < 1.2


@pytest.fixture(scope="module")
def speech(emodb_features):
    """All EmoDB segments, normalised, with their speakers and labels."""
    X, segments, _ = emodb_features
    return MinMaxScaler().fit(X).transform(X), segments["speaker"].to_numpy(), segments["label"].to_numpy()


@pytest.fixture(scope="module")
def small(speech):
    """24 real segments (8 of each of 3 emotions) in the [-1, 1] scale, and their classes."""
    X, _, labels = speech
    names = ["anger", "neutral", "sadness"]
    rows = np.concatenate([np.flatnonzero(labels == name)[:8] for name in names])
    return X[rows], np.searchsorted(names, labels[rows]), None, None


def test_pitch_read_off_real_segments_is_higher_for_women_and_silent_where_nothing_sounds(speech):
    X, speakers, labels = speech
    f0, voicing = mel_pitch(torch.from_numpy(X).unsqueeze(1), FILTERS, BIN_HZ)
    voiced = voicing > 0.5

    def median_pitch(group: set[str], emotion: str) -> float:
        rows = torch.from_numpy(np.isin(speakers, list(group)) & (labels == emotion))
        return float(f0[rows][voiced[rows]].median())

    assert 0.2 < float(voiced.float().mean()) < 0.8  # speech: voiced vowels between consonants and pauses
    women, men = median_pitch(FEMALE, "neutral"), median_pitch(MALE, "neutral")
    assert 150 < women < 250 and 90 < men < 160 and women > 1.3 * men, (women, men)
    assert median_pitch(MALE, "anger") > 1.3 * men  # raised voices (measured: 118-149 Hz -> 202-223 Hz)
    both = voiced[:, 1:] & voiced[:, :-1]  # a pitch contour, not a new guess every frame
    assert float((_octaves(f0[:, 1:], f0[:, :-1])[both] < 1 / 6).float().mean()) > 0.8
    silent = torch.full((2, 1, 128, 128), -1.0)
    assert float(mel_pitch(silent, FILTERS, BIN_HZ)[1].max()) == 0


def test_pitch_statistics_tell_a_moving_pitch_from_stripes_held_level(speech):
    """What the quality report prints: real speech glides (measured on EmoDB: 0.03-0.06 octaves a frame);
    the same segments with one frame held for the whole segment (what an image G's level stripes look like) not."""
    X, _, _ = speech
    real = pitch_statistics(X)
    assert 0.2 < real["voiced"] < 0.8 and 0.02 < real["motion"] < 0.1 and 120 < real["median_hz"] < 300, real
    voiced_frame = np.repeat(X[:, :, 40:41], X.shape[2], axis=2)
    level = pitch_statistics(voiced_frame)
    assert level["motion"] < 0.2 * real["motion"], (level, real)


def test_source_filter_g_draws_the_harmonics_of_its_own_pitch_contour():
    torch.manual_seed(0)
    generator = SourceFilterGenerator(TINY)
    generator.eval()  # no dropout: the same code, the same segment
    images = generator(torch.randn(8, 100))
    f0 = generator.last_f0
    assert images.shape == (8, 1, 128, 128) and f0.shape == (8, 128)
    assert images.min() >= -1 and images.max() <= 1
    read, voicing = mel_pitch(images.detach(), FILTERS, BIN_HZ)
    voiced = voicing > 0.5
    assert float(voiced.float().mean()) > 0.5
    assert float((_octaves(read, f0.detach()) < 1 / 12)[voiced].float().mean()) > 0.8  # within a semitone


def test_autoencoder_learns_the_pitch_of_real_segments(speech):
    """Step (a) with the pitch term: G's contours come closer to the pitch of the segments it reconstructs."""
    X, _, labels = speech
    rows = np.flatnonzero(np.isin(labels, ["anger", "neutral", "sadness"]))[::8][:32]
    x = torch.from_numpy(X[rows]).unsqueeze(1)
    torch.manual_seed(0)
    config = replace(TINY, dropout=0.0, ae_lr=1e-3)
    encoder, _, _ = build("proposed", 3, 1 / 16, dropout=0.0)
    generator = SourceFilterGenerator(config)
    optimizer = adam([*encoder.parameters(), *generator.parameters()], config.ae_lr, config)
    _, variant = VARIANTS["source_filter"]
    loss = variant.reconstruction_loss(generator)

    def pitch_error() -> float:
        with torch.no_grad():
            generator(encoder(x))
            return float(generator.head.pitch_loss(generator.last_f0, x))

    before = pitch_error()
    for _ in range(6):
        for batch in x[torch.randperm(len(x))].split(8):
            autoencoder_step(encoder, generator, optimizer, batch, loss_fn=loss)
    assert pitch_error() < 0.5 * before, (before, pitch_error())


def test_a_research_variant_trains_end_to_end_and_is_never_resumed_as_the_recipe(speech, tmp_path):
    """``source_filter_level`` through :class:`~seraug.gan.train.Variant`: trained, it generates segments in range;
    its checkpoint is refused to the plain recipe (another G), naming the variant."""
    X, _, labels = speech
    names = ["anger", "neutral", "sadness"]
    rows = np.concatenate([np.flatnonzero(labels == name)[:8] for name in names])
    _, variant = VARIANTS["source_filter_level"]
    y = np.searchsorted(names, labels[rows])
    averaged = replace(TINY, g_ema=0.5)  # G's moving average deep-copies G, its last pitch contour left out
    model = train_gan(X[rows], y, 3, averaged, tmp_path, "cpu", class_names=names, progress=False, variant=variant)
    fake = generate(model, "anger", 4, seed=1)
    assert fake.shape == (4, 128, 128) and fake.min() >= -1 and fake.max() <= 1
    (tmp_path / "model.json").unlink()
    with pytest.raises(ValueError, match="variant"):
        train_gan(X[rows], y, 3, averaged, tmp_path, "cpu", class_names=names, progress=False)


def test_texture_profile_of_real_speech_is_closer_to_other_real_speech_than_to_its_blur(small):
    """The texture term's features on real EmoDB segments: half of them are nearer the other
    half than to themselves blurred by a band or two; moving the segments in time leaves it as it was."""
    X, _, _, _ = small
    x = torch.from_numpy(X[:, None]).float()
    a, b = x[0::2], x[1::2]  # 12 and 12, every class in both
    blurred = torch.nn.functional.avg_pool2d(a, (3, 1), stride=1, padding=(1, 0), count_include_pad=False)
    mse = torch.nn.functional.mse_loss
    assert texture_profile(a).shape == (7, 32)
    assert mse(texture_profile(b), texture_profile(a)) < 0.5 * mse(texture_profile(blurred), texture_profile(a))
    assert torch.allclose(texture_profile(torch.roll(a, 40, dims=3)), texture_profile(a), atol=1e-6)


def test_rhythm_profile_of_real_speech_is_closer_to_other_real_speech_than_to_its_smear(small):
    """The rhythm term's features on real EmoDB segments: half of them are nearer the other
    half than to themselves smeared in time over three frames (onsets and pauses blunted); moving them up the
    mel axis by a whole region, onto other bands' rhythm, changes it too."""
    X, _, _, _ = small
    x = torch.from_numpy(X[:, None]).float()
    a, b = x[0::2], x[1::2]
    smeared = torch.nn.functional.avg_pool2d(a, (1, 3), stride=1, padding=(0, 1), count_include_pad=False)
    mse = torch.nn.functional.mse_loss
    assert rhythm_profile(a).shape == (8, 32)
    assert mse(rhythm_profile(b), rhythm_profile(a)) < 0.5 * mse(rhythm_profile(smeared), rhythm_profile(a))
    assert not torch.allclose(rhythm_profile(torch.roll(a, 16, dims=2)), rhythm_profile(a), atol=1e-3)


def test_glide_profile_tells_striations_held_level_from_real_speech(small):
    """The glide term's features on real EmoDB segments: half of them are nearer the other half
    than to themselves with their fine structure (the segment minus its 5-band mel average) held level, frame 16's
    copied over every 32-frame block, as G draws it; :func:`texture_profile` tells them apart less clearly."""
    X, _, _, _ = small
    x = torch.from_numpy(X[:, None]).float()
    a, b = x[0::2], x[1::2]
    fine = a - torch.nn.functional.avg_pool2d(a, (5, 1), stride=1, padding=(2, 0), count_include_pad=False)
    level = a - fine + fine.unflatten(3, (4, 32))[..., 16:17].expand(-1, -1, -1, -1, 32).flatten(3)
    mse = torch.nn.functional.mse_loss

    def separation(profile) -> float:
        return float(mse(profile(level), profile(a)) / mse(profile(b), profile(a)))

    assert glide_profile(a).shape == (7, 32 * 32)
    assert separation(glide_profile) > 2, separation(glide_profile)
    assert separation(glide_profile) > separation(texture_profile), (separation(glide_profile), separation(texture_profile))


def test_level_profile_tells_real_speech_from_speech_with_its_pauses_filled(small):
    """The level term's features on real EmoDB segments: quantiles of the frame levels, rising;
    half of the segments are nearer the other half than to themselves with every pause frame (mean level below
    PAUSE_LEVEL) replaced by the segment's loudest frame, as a G that fills the pauses draws them. Where in time
    the frames lie does not enter (reversing time changes nothing), and a frame's level is the one pause_share
    counts pauses by."""
    X, _, _, _ = small
    x = torch.from_numpy(X[:, None]).float()
    a, b = x[0::2], x[1::2]
    levels = a.mean(dim=2, keepdim=True)  # (B, 1, 1, T)
    loudest = a.gather(3, levels.argmax(dim=3, keepdim=True).expand(-1, -1, a.shape[2], -1))
    filled = torch.where(levels < PAUSE_LEVEL, loudest, a)
    assert (levels < PAUSE_LEVEL).float().mean() > 0.05  # the real segments have pauses to fill
    mse = torch.nn.functional.mse_loss
    profile = level_profile(a)
    assert profile.shape == (32,) and bool((profile.diff() >= 0).all())
    assert mse(level_profile(b), profile) < 0.5 * mse(level_profile(filled), profile)
    assert torch.allclose(level_profile(a.flip(3)), profile)
    # a frame's level is its mean over the bands: the share of quantiles below PAUSE_LEVEL is pause_share's
    assert abs(float((profile < PAUSE_LEVEL).float().mean()) - pause_share(X[0::2])) <= 1 / 32


@pytest.mark.parametrize("profile", [texture_profile, rhythm_profile, glide_profile, level_profile])
def test_gan_matching_terms_act_on_g_only(small, profile):
    """With a feature-matching term (texture, rhythm, glide, level) the step trains D exactly as without it and G
    differently (the term is in G's loss); the losses it returns are the adversarial ones, the same in both."""
    X, y, _, _ = small
    x, labels = torch.from_numpy(X[:8, None]), torch.from_numpy(y[:8])

    def step(weight: float):
        torch.manual_seed(0)
        _, generator, discriminator = build("proposed", 3, 1 / 16)
        generator.eval(), discriminator.eval()  # no dropout draws between the two runs
        config = GANConfig(gan_lr=1e-3)
        opt_g, opt_d = (adam(n.parameters(), config.fine_tuning_lr, config) for n in (generator, discriminator))
        codes = torch.Generator().manual_seed(1)
        stats = gan_step(generator, discriminator, opt_g, opt_d, x, labels,
                         lambda n: (torch.randn(n, 100, generator=codes), torch.arange(n) % 3),
                         matching=[(weight, profile)] if weight else [])
        return stats, _params(generator), _params(discriminator)

    (stats0, g0, d0), (stats1, g1, d1) = step(0.0), step(1000.0)
    assert torch.equal(stats0, stats1)
    assert all(torch.equal(p, q) for p, q in zip(d0, d1))
    assert any(not torch.equal(p, q) for p, q in zip(g0, g1))
