"""G's source-filter output layer (seraug.gan.source_filter) on real EmoDB segments: the harmonic comb, the pitch
read off log-mel segments, a G that draws the harmonics of its own pitch contour, and an autoencoder that learns
the real segments' pitch."""

from __future__ import annotations

from dataclasses import replace

import librosa
import numpy as np
import pytest
import torch
from scipy.ndimage import uniform_filter1d

from seraug.errors import ConfigError
from seraug.features import LogMelConfig, mel_filters
from seraug.gan import GANConfig, GANModel, build, generate, train_gan
from seraug.gan.quality import pause_share, pitch_statistics
from seraug.gan.source_filter import harmonic_comb, mel_pitch
from seraug.gan.steps import autoencoder_step
from seraug.gan.train import _adam
from seraug.normalise import MinMaxScaler

FEATURES = LogMelConfig()
FILTERS = mel_filters(FEATURES, torch.device("cpu"))
BIN_HZ = FEATURES.sample_rate / FEATURES.n_fft
FEMALE, MALE = {"08", "09", "13", "14", "16"}, {"03", "10", "11", "12", "15"}  # EmoDB's documentation
SOURCE_FILTER = GANConfig(width=1 / 16, batch_size=8, ae_epochs=2, gan_epochs=2, g_output="source_filter",
                          ae_pitch_weight=1.0)


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
    _, generator, _ = build("proposed", 3, 1 / 16, output="source_filter")
    generator.eval()  # no dropout: the same code, the same segment
    images, f0 = generator.decode(torch.randn(8, 100))
    assert images.shape == (8, 1, 128, 128) and f0.shape == (8, 128)
    assert images.min() >= -1 and images.max() <= 1 and torch.equal(generator(torch.zeros(1, 100)),
                                                                     generator.decode(torch.zeros(1, 100))[0])
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
    encoder, generator, _ = build("proposed", 3, 1 / 16, dropout=0.0, output="source_filter")
    config = replace(SOURCE_FILTER, dropout=0.0, ae_lr=1e-3)
    optimizer = _adam([*encoder.parameters(), *generator.parameters()], config.ae_lr, config)

    def pitch_error() -> float:
        with torch.no_grad():
            return float(generator.head.pitch_loss(generator.decode(encoder(x))[1], x))

    before = pitch_error()
    for _ in range(6):
        for batch in x[torch.randperm(len(x))].split(8):
            autoencoder_step(encoder, generator, optimizer, batch, pitch_weight=config.ae_pitch_weight)
    assert pitch_error() < 0.5 * before, (before, pitch_error())


def test_source_filter_model_trains_saves_and_loads(speech, tmp_path):
    X, _, labels = speech
    names = ["anger", "neutral", "sadness"]
    rows = np.concatenate([np.flatnonzero(labels == name)[:8] for name in names])
    model = train_gan(X[rows], np.searchsorted(names, labels[rows]), 3, SOURCE_FILTER, tmp_path, "cpu",
                      class_names=names, features=FEATURES, progress=False)
    loaded = GANModel.load(tmp_path)
    assert loaded.config.g_output == "source_filter" and loaded.generator.head is not None
    assert np.array_equal(generate(loaded, "anger", 4, seed=1), generate(model, "anger", 4, seed=1))


@pytest.mark.parametrize("settings, message", [
    ({"g_output": "waveform"}, "g_output.*image, source_filter"),
    ({"g_output": "source_filter", "arch": "bagan"}, "bagan keeps its own"),
    ({"ae_pitch_weight": 1.0}, "needs g_output='source_filter'"),
])
def test_source_filter_settings_are_checked(settings, message):
    with pytest.raises(ConfigError, match=message):
        GANConfig(**settings)


def test_pause_share_counts_the_silences_that_a_dense_texture_fills(speech):
    X = speech[0]
    real = pause_share(X)
    assert 0.05 < real < 0.5  # EmoDB speech: gaps between words and utterance ends, but mostly sound
    smeared = uniform_filter1d(X, size=40, axis=2, mode="nearest")  # each frame the mean of a second around it
    assert pause_share(smeared) < 0.7 * real  # the gaps between words go (the silence after an utterance stays)
