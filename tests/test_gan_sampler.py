"""GANOverSampler.fit_resample and the quality report, on real EmoDB segments in dB (tiny GAN, CPU)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

import seraug.gan.sampler as sampler_module
from seraug.gan import GANConfig, GANOverSampler, format_report, quality_report
from seraug.gan.latent import ClassGaussians
from seraug.gan.diversity import mean_pairwise_distance
from seraug.gan.measures import MEASURES, summary_row
from seraug.gan.quality import band_statistics, frechet_distance, striation_energy

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
    assert sampler.seed_ == 0 and sampler.model_.config.seed == 0  # random_state=0 is the training seed
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


@pytest.mark.parametrize("strategy, generated", [("not majority", {"neutral": 4, "sadness": 6}),
                                                 ("all", {"anger": 0, "neutral": 4, "sadness": 6})])
def test_named_strategies_top_up_to_the_majority(raw, resampled, strategy, generated):
    X, y = raw
    sampler = GANOverSampler(strategy, model=resampled[0].model_, random_state=0)
    _, y_res = sampler.fit_resample(X, y)
    assert sampler.sampling_strategy_ == generated
    assert {k: int(v) for k, v in zip(*np.unique(y_res, return_counts=True))} == {name: 10 for name in COUNTS}


def test_a_given_model_maps_back_with_its_own_scaler(raw, resampled):
    """The model's scaler, not one refitted on X: the same generated dB rows whatever range X has."""
    X, y = raw
    model = resampled[0].model_
    quieter = np.where(y[:, None, None] == "anger", X - 30, X)  # widens X's range; the model is unchanged
    rows = [GANOverSampler({"sadness": 7}, model=model, random_state=3).fit_resample(data, y)[0][len(X):]
            for data in (X, quieter)]
    assert np.array_equal(rows[0], rows[1])


def test_balanced_input_comes_back_unchanged_without_training(raw, monkeypatch):
    X, y = raw
    balanced = np.concatenate([np.flatnonzero(y == name)[:4] for name in COUNTS])
    monkeypatch.setattr(sampler_module, "train_gan", lambda *a, **k: pytest.fail("trained a GAN for nothing"))
    sampler = GANOverSampler(width=1 / 16, random_state=0)
    X_res, y_res = sampler.fit_resample(X[balanced], y[balanced])
    assert np.array_equal(X_res, X[balanced]) and np.array_equal(y_res, y[balanced]) and sampler.model_ is None


def test_random_state_none_means_fresh_randomness(raw, resampled):
    """imbalanced-learn's convention: None draws a new seed each time, an int repeats, a RandomState is used."""
    X, y = raw
    model = resampled[0].model_

    def resample(random_state) -> tuple[int, np.ndarray]:
        sampler = GANOverSampler({"sadness": 6}, model=model, random_state=random_state)
        return sampler.fit_resample(X, y)[0][len(X):], sampler.seed_

    (first, seed_a), (second, seed_b) = resample(None), resample(None)
    assert seed_a != seed_b and not np.array_equal(first, second)
    assert np.array_equal(resample(7)[0], resample(7)[0]) and resample(7)[1] == 7
    assert resample(np.random.RandomState(1))[1] == resample(np.random.RandomState(1))[1]


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


def test_striation_energy_sees_the_harmonics_of_real_speech(emodb_features):
    """On all of EmoDB: real segments carry striation energy; blurring the mel axis by one band keeps about
    0.6 of it, and white noise and the corpus's mean image (what a blurry generator tends to) about none."""
    from scipy.ndimage import gaussian_filter1d

    X = emodb_features[0]
    X = 2 * (X - X.min()) / (X.max() - X.min()) - 1
    real = striation_energy(X).mean()
    assert real > 0
    assert 0.4 < striation_energy(gaussian_filter1d(X, 1.0, axis=1)).mean() / real < 0.8
    noise = np.random.default_rng(0).uniform(-1, 1, X.shape)
    assert abs(striation_energy(noise).mean()) < 0.05 * real
    assert striation_energy(X.mean(axis=0, keepdims=True))[0] < 0.1 * real


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
        striations = next(m for m in MEASURES if m.column == "striations")
        assert c["striations_real"] > 0 and not striations.passes(c["striation_ratio"])  # 1 + 1 epochs: no harmonics
        assert 0 <= c["pause_ratio"]
    assert any("no harmonic striations" in p for p in report["problems"])
    printed = format_report(report)
    # Every measure is printed beside its bar, as the one table declares them; the verdict follows.
    assert "anger" in printed and "striations <= " not in printed and "striations >= 0.7" in printed
    row = summary_row(report)
    assert row["striations"] == pytest.approx(np.mean([c["striation_ratio"] for c in report["classes"].values()]))
    assert row["GAN-train"] is None and "GAN-train " not in printed.split("measures")[1].split("bars for")[0]
    assert "MISSES striations >= 0.7" in printed and "WARNING: unusable for balancing" in printed
    passed = {**report, "problems": []}
    assert format_report(passed).endswith("usable: every class meets every bar")

    g = model.gaussians  # every code = its class mean: G repeats one sample per class
    collapsed = replace(model, gaussians=ClassGaussians(g.means, np.zeros_like(g.covariances), g.counts))
    flags = quality_report(collapsed, X_norm, y_int, n_per_class=8)["classes"]
    assert all(c["mode_collapse"] and c["diversity_ratio"] < 1e-3 for c in flags.values())


def test_quality_report_refuses_bad_input_and_flags_nan(raw, resampled):
    X, y = raw
    sampler = resampled[0]
    model = sampler.model_
    X_norm, y_int = sampler.scaler_.transform(X), np.searchsorted(model.class_names, y)
    with pytest.raises(ValueError, match=r"X must be a non-empty \(N, 128, 128\).*\(20, 128, 64\)"):
        quality_report(model, X_norm[:, :, :64], y_int)
    with pytest.raises(ValueError, match="n_per_class must be at least 2"):
        quality_report(model, X_norm, y_int, n_per_class=1)
    with pytest.raises(ValueError, match="at least 2 samples"):
        frechet_distance(np.zeros((1, 4)), np.zeros((5, 4)))
    same = X_norm.copy()
    same[y == "sadness"] = same[y == "sadness"][0]  # real diversity 0: the ratio is NaN
    flags = quality_report(model, same, y_int, n_per_class=4)["classes"]
    assert np.isnan(flags["sadness"]["diversity_ratio"]) and flags["sadness"]["mode_collapse"]
    problems = quality_report(model, same, y_int, n_per_class=4)["problems"]
    assert any(p.startswith("sadness: FD/floor inf (bar: FD/floor <= 3)") for p in problems)


def test_quality_report_sets_generated_segments_beside_held_out_real_speech(raw, resampled, emodb_features):
    """With held-out real segments (speakers the GAN never saw) each class gets the Fréchet distance to its
    training segments of as many held-out real and generated ones: real speech of new speakers is the yardstick
    a learned embedding needs. The 1 + 1-epoch GAN's blobs lie further than real speech; the floors stay those
    of a report without held-out segments."""
    X, y = raw
    sampler = resampled[0]
    model = sampler.model_
    X_all, segments, _ = emodb_features
    X_norm, y_int = sampler.scaler_.transform(X), np.searchsorted(model.class_names, y)
    labels, speakers = segments["label"].to_numpy(), segments["speaker"].to_numpy()
    train_rows = np.concatenate([np.flatnonzero(labels == name)[:n] for name, n in COUNTS.items()])
    seen = set(speakers[train_rows])
    held = np.flatnonzero(np.isin(labels, list(COUNTS)) & ~np.isin(speakers, list(seen)))
    X_test = np.clip(sampler.scaler_.transform(X_all[held]), -1, 1)
    y_test = np.searchsorted(model.class_names, labels[held])
    pixels = lambda Z: Z.reshape(len(Z), -1)[:, ::512]  # noqa: E731  a 32-d stand-in for a learned embedding
    report = quality_report(model, X_norm, y_int, n_per_class=12, X_test=X_test, y_test=y_test, embed=pixels)
    json.dumps(report)
    plain = quality_report(model, X_norm, y_int, n_per_class=12)
    for name, c in report["classes"].items():
        assert c["heldout"]["n"] == min(12, int(np.sum(y_test == model.class_names.index(name))))
        for space in ("band statistics", "classifier"):
            assert 0 <= c["heldout"][space]["real"] < c["heldout"][space]["generated"]
        assert c["frechet_real_halves"] == plain["classes"][name]["frechet_real_halves"]
    assert "gen/held" in format_report(report) and "clf gen/held" in format_report(report)
    assert any("generated ones lie" in p and "as far as" in p for p in report["problems"])
