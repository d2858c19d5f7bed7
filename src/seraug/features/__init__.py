"""From audio files to the paper's normalised log-mel segments, the second stage of the pipeline.

* ``audio``: reading and checking audio files (:func:`load_audio`), writing WAVs; the one decoder.
* ``logmel``: the paper's features (:class:`LogMelConfig`: 16 kHz, 50 ms window, 25 ms hop, 128 mels)
  and 128 x 128 segments (:func:`segments_from_waveforms`), and their inversion to audio.
* ``store``: the segments of a whole manifest, extracted once into a folder and reused
  (:func:`extract_features`, :func:`load_features`).
* ``normalise``: min-max to [-1, 1] fitted on training data only (:class:`MinMaxScaler`).

Names are imported on first use, so importing one of them does not pay for the others (torch, librosa).
"""

from __future__ import annotations

from seraug.lazy import lazy_exports

_EXPORTS = {
    "AudioError": "audio", "load_audio": "audio", "write_wav": "audio", "SAMPLE_RATE": "audio",
    "LogMelConfig": "logmel", "segments_from_waveforms": "logmel", "invert_log_mel": "logmel",
    "extract_features": "store", "load_features": "store",
    "MinMaxScaler": "normalise",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
