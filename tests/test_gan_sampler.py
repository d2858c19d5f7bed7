"""GANOverSampler.fit_resample and the quality report, on real EmoDB segments in dB (tiny GAN, CPU)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from seraug.gan import GANConfig, GANOverSampler, format_report, quality_report
from seraug.gan.latent import ClassGaussians
from seraug.gan.quality import band_statistics, frechet_distance, mean_pairwise_distance

COUNTS = {"anger": 10, "neutral": 6, "sadness": 4}


@pytest.fixture(scope="module")
def raw(emodb_features):
    """Imbalanced real segments in dB (10 anger, 6 neutral, 4 sadness) with string labels."""
    X, segments, _ = emodb_features
    labels = segments["label"].to_numpy()
    rows = np.concatenate([np.flatnonzero(labels == name)[:n] for name, n in COUNTS.items()])
    return X[rows], labels[rows]


@pytest.fixture(scope="module")
def resampled(raw):
    X, y = raw
    sampler = GANOverSampler(width=1 / 16, ae_epochs=1, gan_epochs=1, config=GANConfig(batch_size=8),
                             random_state=0, device="cpu")
    return sampler, *sampler.fit_resample(X, y)


def test_fit_resample_balances_and_keeps_real_rows(raw, resampled):
    X, y = raw
    sampler, X_res, y_res = resampled
    assert X_res.shape == (3 * 10, 128, 128) and X_res.dtype == X.dtype
    assert {k: int(v) for k, v in zip(*np.unique(y_res, return_counts=True))} == {name: 10 for name in COUNTS}
    assert np.array_equal(X_res[: len(X)], X) and np.array_equal(y_res[: len(y)], y)
    assert sampler.sampling_strategy_ == {"neutral": 4, "sadness": 6}
    fake = X_res[len(X):]
    # generated rows come back in the input's units (dB), inside the range the scaler was fitted on
    assert fake.min() >= X.min() - 1e-3 and fake.max() <= X.max() + 1e-3
    assert not np.array_equal(fake[0], fake[1])


def test_flattened_input_dict_strategy_and_a_given_model(raw, resampled):
    X, y = raw
    sampler, _, _ = resampled
    flat = X.reshape(len(X), -1)
    again = GANOverSampler({"sadness": 7}, model=sampler.model_, random_state=1)
    X_res, y_res = again.fit_resample(flat, y)
    assert X_res.shape == (len(X) + 3, 128 * 128)
    assert np.array_equal(X_res[: len(X)], flat) and list(y_res[len(X):]) == ["sadness"] * 3
    X_min, _ = GANOverSampler("minority", model=sampler.model_).fit_resample(X, y)
    assert len(X_min) == len(X) + 6


def test_bad_input_is_named(raw, resampled):
    X, y = raw
    sampler, _, _ = resampled
    with pytest.raises(ValueError, match="X must be"):
        GANOverSampler(model=sampler.model_).fit_resample(X[:, :64], y)
    with pytest.raises(ValueError, match="unknown class 'boredom'"):
        GANOverSampler(model=sampler.model_).fit_resample(X, np.where(y == "sadness", "boredom", y))


def test_frechet_distance_and_diversity_measure_what_they_say():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2000, 4))
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-6)
    assert frechet_distance(a, a + 3) == pytest.approx(4 * 9, rel=1e-3)
    same = np.repeat(rng.normal(size=(1, 128, 128)), 5, axis=0)
    assert mean_pairwise_distance(same) == 0
    assert mean_pairwise_distance(rng.normal(size=(5, 128, 128))) == pytest.approx(np.sqrt(2), rel=0.02)
    assert band_statistics(same).shape == (5, 64)


def test_quality_report_per_class_and_collapse_flag(raw, resampled):
    X, y = raw
    sampler, _, _ = resampled
    model = sampler.model_
    X_norm, y_int = sampler.scaler_.transform(X), np.searchsorted(model.class_names, y)
    report = quality_report(model, X_norm, y_int, n_per_class=12)
    json.dumps(report)  # JSON-able
    assert set(report["classes"]) == set(COUNTS) and "band statistics" in report["embedding"]
    for c in report["classes"].values():
        assert c["frechet_distance"] >= 0 and 0 <= c["recognition_rate"] <= 1 and c["n_generated"] == 12
    assert "anger" in format_report(report)

    g = model.gaussians  # every code = its class mean: G repeats one sample per class
    collapsed = replace(model, gaussians=ClassGaussians(g.means, np.zeros_like(g.covariances), g.counts))
    flags = quality_report(collapsed, X_norm, y_int, n_per_class=8)["classes"]
    assert all(c["mode_collapse"] and c["diversity_ratio"] < 1e-3 for c in flags.values())
