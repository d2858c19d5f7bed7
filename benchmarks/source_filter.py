"""A source-filter output layer for G: segments drawn as the harmonics of a pitch contour under smooth envelopes.

Why: G's convolutions paint the harmonic striations of voiced speech as level stripes. Real striations are the
multiples of a pitch (f0) that rises and falls within a syllable, so they fan out and bend together; no loss on
the image alone (texture, rhythm, glide terms in ``gan_variants.py``) taught G that. This layer builds it
in, as speech production does (a source, the glottal pulses at f0, through a filter, the vocal tract):

    x(m, t) = s * log( exp(h(m, t) / s) * comb(m, t; f0(t)) + exp(n(m, t) / s) )

* ``f0(t)``: one pitch per frame in :data:`F0_RANGE` Hz, from G's features of that frame and its neighbours in every band;
* ``comb``: :func:`harmonic_comb`, the mel spectrum of the harmonics of f0 as the front end's STFT and mel filters
  see them, about 1 where the mel bands are too wide to resolve them;
* ``h``, ``n``: log envelopes (in the image's units) of the harmonic and the noise part, smoothed along the mel
  axis (:data:`ENVELOPE_SMOOTHING` bands) so that they draw formants, onsets and pauses but not the striations;
* ``s``: a learned scale from natural-log power to the image's min-max normalised dB.

The autoencoder can be told the pitch of the segments it reconstructs (``gan_variants.AE_PITCH_WEIGHT``):
:func:`mel_pitch` reads it off a log-mel segment by matching harmonic combs, so no audio is needed.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from seraug.features.logmel import LogMelConfig, mel_filters

F0_RANGE = (60.0, 500.0)
"""Lowest and highest pitch G can draw, Hz (speech: about 70-250 Hz spoken, up to 500 Hz in shouted emotion)."""
LOBE_HZ = 15.0
"""Standard deviation, Hz, of the spectral peak one harmonic leaves in a 50 ms Hann window (its power main lobe
is about 12 Hz; a pitch moving within the window widens it)."""
ENVELOPE_SMOOTHING = 4.0
"""Standard deviation, mel bands, of the Gaussian that smooths the envelopes along the mel axis. Below 1 kHz a band
is about 23 Hz wide, so harmonics 100-200 Hz apart repeat every 4-9 bands; this leaves under 2% of a stripe pattern
of 8.5 bands, so the striations come from the comb, not from the envelopes."""
PITCH_SMOOTHING = 1.5
"""Standard deviation, frames (25 ms each), of the Gaussian that smooths the pitch contour over time."""
PITCH_BANDS = 48
"""Mel bands :func:`mel_pitch` matches combs in: 0 to about 1.1 kHz, where 128 bands resolve the harmonics."""
PITCH_CANDIDATES = 64
"""Pitches :func:`mel_pitch` tries, log-spaced over :data:`F0_RANGE` (3.4% apart, about half a semitone)."""
VOICING = (0.3, 0.6)
"""Comb-match strengths (cosine similarity) over which :func:`mel_pitch`'s voicing weight rises from 0 to 1: on
EmoDB segments, frames of silence and fricatives lie below 0.3, clearly voiced frames above 0.6."""


def _gaussian(sigma: float) -> torch.Tensor:
    """A normalised Gaussian kernel of ``sigma`` samples, 3 sigma either side."""
    radius = max(1, math.ceil(3 * sigma))
    kernel = torch.exp(-0.5 * (torch.arange(-radius, radius + 1, dtype=torch.float32) / sigma) ** 2)
    return kernel / kernel.sum()


def _smooth(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Rows ``x`` ``(N, 1, L)`` convolved with ``kernel``, their end values repeated beyond the ends (not zeros,
    which would darken a segment's edges)."""
    pad = len(kernel) // 2
    return F.conv1d(F.pad(x, (pad, pad), mode="replicate"), kernel[None, None])


def harmonic_comb(f0: torch.Tensor, filters: torch.Tensor, bin_hz: float, lobe_hz: float = LOBE_HZ) -> torch.Tensor:
    """Mel spectrum of a harmonic series on ``f0`` ``(B, T)`` Hz, relative to flat noise of the same power: ``(B, M, T)``.

    Each STFT bin (``bin_hz`` apart) gets the power ``exp(kappa (cos(2 pi f / f0) - 1))``, a peak of ``lobe_hz``
    standard deviation at every multiple of f0 (a von Mises comb, ``kappa = (f0 / (2 pi lobe_hz))**2``); the mel
    ``filters`` ``(M, bins)`` sum it per band, and each band is divided by what the comb's mean power
    (``i0e(kappa)``) would give spread flat. So a band that holds many harmonics reads about 1, a resolved harmonic
    above 1 and the gap between two below. Smooth in f0, so its gradient moves the harmonics.
    """
    freqs = torch.arange(filters.shape[1], device=f0.device, dtype=torch.float32) * bin_hz
    f0 = f0.float()
    kappa = (f0 / (2 * math.pi * lobe_hz)) ** 2
    power = torch.exp(kappa[..., None] * (torch.cos(2 * math.pi * freqs / f0[..., None]) - 1))  # (B, T, bins)
    flat = filters.sum(dim=1) * torch.special.i0e(kappa)[..., None]  # (B, T, M)
    return (power @ filters.T / flat).transpose(1, 2)


def _comb_templates(filters: torch.Tensor, bin_hz: float) -> tuple[torch.Tensor, torch.Tensor]:
    """:data:`PITCH_CANDIDATES` pitches ``(C,)`` and their log combs over the lowest :data:`PITCH_BANDS` bands,
    each mean-removed and of unit norm: ``(PITCH_BANDS, C)``."""
    candidates = torch.from_numpy(np.geomspace(*F0_RANGE, PITCH_CANDIDATES).astype(np.float32)).to(filters.device)
    templates = torch.log(harmonic_comb(candidates[None], filters, bin_hz)[0, :PITCH_BANDS] + 0.01)
    templates = templates - templates.mean(dim=0)
    return candidates, templates / templates.norm(dim=0)


def mel_pitch(x: torch.Tensor, filters: torch.Tensor, bin_hz: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Pitch and voicing of every frame of log-mel segments ``x`` ``(B, 1, M, T)``: ``f0`` Hz and weight, ``(B, T)`` each.

    Each frame's lowest :data:`PITCH_BANDS` bands, mean-removed, are compared (cosine similarity) with the log
    :func:`harmonic_comb` of :data:`PITCH_CANDIDATES` pitches; the best match is the pitch (a subharmonic comb
    puts peaks where the frame has gaps, so octave errors lose). The weight rises from 0 to 1 as the match's
    strength goes over :data:`VOICING`: silence and noise match no comb well. Works on any affine scale of dB.
    """
    candidates, templates = _comb_templates(filters, bin_hz)
    frames = x[:, 0, :PITCH_BANDS].float()
    frames = frames - frames.mean(dim=1, keepdim=True)
    frames = frames / frames.norm(dim=1, keepdim=True).clamp_min(1e-6)
    strength, best = torch.einsum("bmt,mc->btc", frames, templates).max(dim=-1)
    low, high = VOICING
    return candidates[best], ((strength - low) / (high - low)).clamp(0, 1)


class SourceFilterHead(nn.Module):
    """G's last layer as a source and a filter: features ``(B, C, M, T)`` -> segment ``(B, 1, M, T)`` and ``f0`` ``(B, T)`` Hz.

    Replaces the paper's final 3x3 convolution and tanh (see the module docstring for the formula). Runs in
    float32 whatever the autocast: the comb's phases reach hundreds of radians, past bf16's precision.
    """

    def __init__(self, in_channels: int, features: LogMelConfig | None = None) -> None:
        super().__init__()
        features = features or LogMelConfig()
        self.bin_hz = features.sample_rate / features.n_fft
        self.envelopes = nn.Conv2d(in_channels, 2, kernel_size=3, padding=1)  # h and n
        self.pitch = nn.Conv1d(in_channels * features.n_mels, 1, kernel_size=5, padding=2)  # every band votes
        self.log_scale = nn.Parameter(torch.tensor(math.log(0.1)))  # 10 dB ~ 0.2 in images normalised over ~100 dB
        self.register_buffer("filters", mel_filters(features, torch.device("cpu")).clone(), persistent=False)
        self.register_buffer("mel_kernel", _gaussian(ENVELOPE_SMOOTHING), persistent=False)
        self.register_buffer("time_kernel", _gaussian(PITCH_SMOOTHING), persistent=False)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.autocast(features.device.type, enabled=False):
            features = features.float()
            envelopes = self.envelopes(features)  # (B, 2, M, T)
            b, _, m, t = envelopes.shape
            along_mel = _smooth(envelopes.permute(0, 1, 3, 2).reshape(-1, 1, m), self.mel_kernel)
            h, n = along_mel.reshape(b, 2, t, m).permute(0, 1, 3, 2).unbind(dim=1)
            contour = _smooth(self.pitch(features.flatten(1, 2)), self.time_kernel)[:, 0]  # (B, C * M, T) -> (B, T)
            low, high = F0_RANGE
            f0 = low * (high / low) ** torch.sigmoid(contour)
            comb = harmonic_comb(f0, self.filters, self.bin_hz)
            scale = self.log_scale.exp()
            image = scale * torch.logaddexp(h / scale + torch.log(comb + 1e-6), n / scale)
        return image.clamp(-1, 1)[:, None], f0

    def pitch_loss(self, f0: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Squared error in octaves between a contour ``f0`` ``(B, T)`` and :func:`mel_pitch` of the segments
        ``target`` ``(B, 1, M, T)``, weighted by their voicing: what ``gan_variants.AE_PITCH_WEIGHT`` multiplies."""
        with torch.no_grad():
            pitch, voicing = mel_pitch(target, self.filters, self.bin_hz)
        return (voicing * torch.log2(f0.float() / pitch) ** 2).sum() / voicing.sum().clamp_min(1.0)


PITCH_JUMP = 1 / 6
"""Octaves between adjacent voiced frames (25 ms apart) above which :func:`pitch_statistics` counts a change as a
tracking jump, not motion: real pitch glides by about 0.03 to 0.06 octaves a frame on EmoDB."""


def pitch_statistics(X: np.ndarray, features: LogMelConfig | None = None) -> dict[str, float]:
    """Voiced share, pitch motion and median pitch of segments ``(N, n_mels, frames)`` in the [-1, 1] scale.

    ``voiced``: the share of frames whose :func:`mel_pitch` voicing weight exceeds 0.5;
    ``motion``: the mean absolute change of pitch, octaves, between adjacent voiced frames (changes above
    :data:`PITCH_JUMP` left out; NaN without two adjacent voiced frames); ``median_hz``: the median pitch of the
    voiced frames (NaN without one). ``features``: the front end that made ``X`` (default :class:`LogMelConfig`).
    """
    features = features or LogMelConfig()
    with torch.no_grad():
        f0, voicing = mel_pitch(torch.from_numpy(np.asarray(X, dtype=np.float32)).unsqueeze(1),
                                mel_filters(features, torch.device("cpu")), features.sample_rate / features.n_fft)
    voiced = voicing > 0.5
    steps = torch.log2(f0[:, 1:] / f0[:, :-1]).abs()[voiced[:, 1:] & voiced[:, :-1]]
    steps = steps[steps <= PITCH_JUMP]
    return {"voiced": float(voiced.float().mean()),
            "motion": float(steps.mean()) if len(steps) else float("nan"),
            "median_hz": float(f0[voiced].median()) if voiced.any() else float("nan")}
