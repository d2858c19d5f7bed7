"""Training VGG19 on real EmoDB segments: loss goes down, the best epoch is kept, runs are reproducible
and resumable, early stopping stops, and two gloo processes under torchrun train like one process.

Run as a script (``python -m torch.distributed.run --nproc_per_node 2 tests/test_classifier_train.py
DATA.npz OUT_PREFIX``) this file is the distributed worker of :func:`test_two_process_ddp_matches_one_process`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
import torch

import seraug.classifier.train as train_module
from seraug.classifier import VGG19, TrainConfig, evaluate, fit, load_model, predict_proba
from seraug.features.normalise import MinMaxScaler
from seraug.runtime import bf16_available

TRAIN_SPEAKERS = ["03", "08", "09", "10"]  # about 240 segments
VAL_SPEAKERS = ["11", "12"]  # about 120 segments
TINY = TrainConfig(width=1 / 32, epochs=2, batch_size=32, lr=3e-3, patience=10, seed=0, device="cpu")
TINY_3 = replace(TINY, epochs=3)

# The two configurations the DDP test compares (see its docstring); fp32, so that the same
# computation split over two ranks differs only by summation order (bf16 rounds each half-batch).
DDP_CONFIGS = {
    "no_bn": replace(TINY, batch_norm=False, dropout=0.0, amp=False),
    "bn": replace(TINY, dropout=0.0, amp=False),
}


def split(X: np.ndarray, segments) -> dict[str, np.ndarray]:
    """Speaker-independent train / validation arrays, normalised with train-only min-max."""
    classes = sorted(segments["label"].unique())
    y = segments["label"].map({c: i for i, c in enumerate(classes)}).to_numpy(np.int64)
    train = segments["speaker"].isin(TRAIN_SPEAKERS).to_numpy()
    val = segments["speaker"].isin(VAL_SPEAKERS).to_numpy()
    scaler = MinMaxScaler().fit(X[train])
    return {"X_train": scaler.transform(X[train]), "y_train": y[train], "X_val": scaler.transform(X[val]),
            "y_val": y[val], "val_utterances": segments["utterance"].to_numpy(str)[val],
            "n_classes": np.array(len(classes))}


def run(data: dict[str, np.ndarray], config: TrainConfig, checkpoint_dir=None):
    return fit(data["X_train"], data["y_train"], data["X_val"], data["y_val"], data["val_utterances"],
               int(data["n_classes"]), config, checkpoint_dir=checkpoint_dir, progress=False)


def kill_in_epoch(epoch: int, data, config: TrainConfig, checkpoint_dir, monkeypatch) -> None:
    """Run ``config`` with checkpoints and interrupt it (KeyboardInterrupt) while it validates ``epoch``,
    i.e. after that epoch's steps and before its checkpoint: the checkpoint holds epoch ``epoch - 1``."""
    real_evaluate, calls = train_module.evaluate, []

    def killed(*args):
        calls.append(1)
        if len(calls) == epoch:
            raise KeyboardInterrupt
        return real_evaluate(*args)

    monkeypatch.setattr(train_module, "evaluate", killed)
    with pytest.raises(KeyboardInterrupt):
        run(data, config, checkpoint_dir=checkpoint_dir)
    monkeypatch.setattr(train_module, "evaluate", real_evaluate)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models gain nothing from a second thread, and on a busy 2-core machine OpenMP threads
    waiting for each other made epochs up to 20x slower (0.6 s vs 3-18 s measured)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data(emodb_features):
    X, segments, _ = emodb_features
    return split(X, segments)


def test_training_lowers_the_loss(data, tmp_path):
    result = run(data, replace(TINY, epochs=3), checkpoint_dir=tmp_path)
    losses = [h["train_loss"] for h in result.history]
    assert len(losses) == 3 and losses[-1] < losses[0]
    val_uars = [h["val_uar"] for h in result.history]
    assert result.best_epoch == 1 + int(np.argmax(val_uars)) and result.best_val_uar == max(val_uars)
    # The returned model reproduces the best epoch's validation UAR; the saved copy predicts the same
    # (up to float rounding: it is loaded channels-first, the trained one is channels-last).
    probs = predict_proba(result.model, data["X_val"])
    assert evaluate(probs, data["y_val"], data["val_utterances"])["uar"] == result.best_val_uar
    np.testing.assert_allclose(predict_proba(load_model(tmp_path / "model.pt"), data["X_val"]), probs, atol=1e-6)


def test_the_best_validation_epoch_is_kept(data, tmp_path, monkeypatch):
    # Script the validation UARs (0.3, 0.5, 0.4) so epoch 2 is the best whatever the numerics.
    scripted = iter([0.3, 0.5, 0.4, 0.3, 0.5])
    real_evaluate = train_module.evaluate
    monkeypatch.setattr(train_module, "evaluate", lambda *a: {**real_evaluate(*a), "uar": next(scripted)})
    result = run(data, TINY_3, checkpoint_dir=tmp_path)
    assert [h["val_uar"] for h in result.history] == [0.3, 0.5, 0.4] and result.best_epoch == 2
    stopped_at_2 = run(data, replace(TINY_3, epochs=2))
    probs = predict_proba(result.model, data["X_val"])
    np.testing.assert_array_equal(predict_proba(stopped_at_2.model, data["X_val"]), probs)
    last = VGG19(**result.model.config)
    last.load_state_dict(torch.load(tmp_path / "checkpoint.pt", weights_only=True)["model"])
    assert not np.array_equal(predict_proba(last, data["X_val"]), probs)  # epoch 3's weights differ


def test_same_seed_same_predictions_and_exact_resume(data, tmp_path):
    first, second = run(data, TINY), run(data, TINY)
    probs = predict_proba(first.model, data["X_val"])
    np.testing.assert_array_equal(predict_proba(second.model, data["X_val"]), probs)
    assert first.history[-1]["train_loss"] == second.history[-1]["train_loss"]

    # Stop after 1 epoch, then resume to 2 from the checkpoint: the same run as the uninterrupted one.
    interrupted = run(data, replace(TINY, epochs=1), checkpoint_dir=tmp_path)
    resumed = run(data, TINY, checkpoint_dir=tmp_path)
    assert [h["train_loss"] for h in resumed.history] == [h["train_loss"] for h in first.history]
    np.testing.assert_array_equal(predict_proba(resumed.model, data["X_val"]), probs)

    # Another seed is another run (so the equalities above are not vacuous).
    other = run(data, replace(TINY, epochs=1, seed=1))
    assert not np.array_equal(predict_proba(other.model, data["X_val"]),
                              predict_proba(interrupted.model, data["X_val"]))
    with pytest.raises(ValueError, match="other settings: lr;"):
        run(data, replace(TINY, lr=1e-2), checkpoint_dir=tmp_path)


def test_onecycle_decays_to_near_zero_and_a_killed_run_resumes_exactly(data, tmp_path, monkeypatch):
    config = replace(TINY_3, schedule="onecycle", lr=3e-3)
    whole = run(data, config)
    lrs = [h["lr"] for h in whole.history]
    assert max(lrs) <= config.lr and lrs[0] > lrs[1] > lrs[2] and lrs[2] < config.lr / 100

    kill_in_epoch(2, data, config, tmp_path, monkeypatch)
    resumed = run(data, config, checkpoint_dir=tmp_path)  # epoch 1 from the checkpoint, schedule included
    assert [h["train_loss"] for h in resumed.history] == [h["train_loss"] for h in whole.history]
    assert [h["lr"] for h in resumed.history] == lrs
    with pytest.raises(ValueError, match="other settings: .*epochs"):  # the schedule spans `epochs`: no extending
        run(data, replace(config, epochs=4), checkpoint_dir=tmp_path)


def test_weight_averaging_returns_the_mean_of_the_last_epochs_and_resumes_exactly(data, tmp_path, monkeypatch):
    config = replace(TINY_3, schedule="onecycle", select="last", average_epochs=2)
    epochs, real_copy = [], train_module._cpu_copy
    monkeypatch.setattr(train_module, "_cpu_copy", lambda model: epochs.append(real_copy(model)) or epochs[-1])
    plain = run(data, replace(config, average_epochs=0))  # the same trajectory, each epoch's weights recorded
    averaged = run(data, config)
    weights = averaged.model.state_dict()
    for name, _ in averaged.model.named_parameters():
        torch.testing.assert_close(weights[name], (epochs[1][name] + epochs[2][name]) / 2, rtol=0, atol=1e-6)
    # Batch-norm statistics are measured again for the averaged weights, not carried over from epoch 3.
    first_bn = next(n for n, m in averaged.model.named_modules() if isinstance(m, torch.nn.BatchNorm2d))
    assert not torch.equal(weights[f"{first_bn}.running_mean"], epochs[2][f"{first_bn}.running_mean"])
    first_conv = averaged.model.features[0]
    with torch.no_grad():
        outputs = first_conv(torch.from_numpy(data["X_train"]).unsqueeze(1).float())
    torch.testing.assert_close(weights[f"{first_bn}.running_mean"], outputs.mean(dim=(0, 2, 3)), rtol=0, atol=0.02)
    # The last epoch's validation scores are the returned (averaged) model's.
    probs = predict_proba(averaged.model, data["X_val"])
    assert evaluate(probs, data["y_val"], data["val_utterances"])["uar"] == averaged.history[-1]["val_uar"]
    assert not np.array_equal(probs, predict_proba(plain.model, data["X_val"]))

    # Killed in epoch 3 (after the average has begun), then resumed: the same averaged model.
    kill_in_epoch(3, data, config, tmp_path, monkeypatch)
    resumed = run(data, config, checkpoint_dir=tmp_path)
    np.testing.assert_array_equal(predict_proba(resumed.model, data["X_val"]), probs)
    with pytest.raises(ValueError, match="needs select='last'"):
        replace(config, select="best")


@pytest.mark.skipif(not bf16_available(torch.device("cpu")), reason="this CPU has no native bf16")
def test_bf16_is_used_on_a_bf16_cpu_and_no_amp_trains_in_fp32(data):
    config = replace(TINY, epochs=1)
    bf16, fp32 = run(data, config), run(data, replace(config, amp=False))
    assert bf16.history[0]["train_loss"] != fp32.history[0]["train_loss"]  # other arithmetic
    assert bf16.history[0]["train_loss"] == pytest.approx(fp32.history[0]["train_loss"], rel=0.05)


def test_early_stopping_after_patience_epochs(data):
    # lr = 0 without batch norm or dropout: the model never changes, so epoch 1 stays the best and
    # training must stop after exactly `patience` more epochs.
    small = {**data, "X_train": data["X_train"][:64], "y_train": data["y_train"][:64]}
    config = replace(TINY, lr=0.0, batch_norm=False, dropout=0.0, epochs=10, patience=2)
    result = run(small, config)
    assert [h["epoch"] for h in result.history] == [1, 2, 3]
    assert result.best_epoch == 1 and result.stopped_early


@pytest.mark.parametrize("change, message", [
    (lambda d: {**d, "X_train": d["X_train"] * 80}, "min-max normalised"),
    (lambda d: {**d, "y_train": d["y_train"] + 7}, "y_train must be in"),
    (lambda d: {**d, "val_utterances": d["val_utterances"][:-1]}, "val_utterances must have shape"),
    (lambda d: {**d, "X_val": d["X_val"][:, :64]}, "X_val segments are"),
])
def test_bad_inputs_are_named(data, change, message):
    with pytest.raises(ValueError, match=message):
        run(change(data), TINY)


def test_bad_config_is_named():
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="unknown TrainConfig field"):
        TrainConfig.from_dict({**TINY.to_dict(), "learning_rate": 1e-3})


def test_two_process_ddp_matches_one_process(data, tmp_path):
    """``torchrun --nproc_per_node 2`` (gloo, CPU) against one process with the same global batch.

    Each rank takes ``batch_size / 2`` of every step's segments and the gradients are averaged, so
    without batch norm (and without dropout, whose masks each rank draws itself) the two runs are the
    same computation up to float rounding (summation order, 1 thread per rank vs 2): we require
    probabilities within 1e-3 and epoch losses within 1e-4 relative (measured: 6e-6 and 1e-5 on an
    Intel Xeon, 2e-4 and 1.3e-5 on an AMD EPYC, whose fp32 kernels round differently; a doubled or
    halved learning rate moves them by 0.026 and 0.008).
    With batch norm each CPU rank normalises with its own half-batch statistics (PyTorch's
    SyncBatchNorm needs CUDA), which is different training noise, not a different method: after
    these 16 steps we allow 0.05 on probabilities and 5% on the epoch losses (measured: 0.009 and 0.007, <1%).
    On CUDA, SyncBatchNorm removes that gap. Either way both ranks must return the same model and
    the same history.
    """
    np.savez(tmp_path / "data.npz", **data)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               __file__, str(tmp_path / "data.npz"), str(tmp_path / "out")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rank0, rank1 = np.load(tmp_path / "out-0.npz"), np.load(tmp_path / "out-1.npz")
    tolerance = {"no_bn": (1e-3, 1e-4), "bn": (0.05, 0.05)}
    for name, config in DDP_CONFIGS.items():
        for key in ("probs", "val_uar", "train_loss"):
            np.testing.assert_array_equal(rank0[f"{name}_{key}"], rank1[f"{name}_{key}"])
        single = run(data, config)
        prob_atol, loss_rtol = tolerance[name]
        np.testing.assert_allclose(rank0[f"{name}_probs"], predict_proba(single.model, data["X_val"]), atol=prob_atol)
        np.testing.assert_allclose(rank0[f"{name}_train_loss"], [h["train_loss"] for h in single.history],
                                   rtol=loss_rtol)


def _ddp_worker(data_path: str, out_prefix: str) -> None:
    """Train every DDP_CONFIGS entry under torchrun; each rank saves its model's validation
    probabilities and its history to ``{out_prefix}-{rank}.npz``."""
    import torch.distributed as dist

    data = dict(np.load(data_path))
    results = {}
    for name, config in DDP_CONFIGS.items():
        result = run(data, config)
        results[f"{name}_probs"] = predict_proba(result.model, data["X_val"])
        results[f"{name}_val_uar"] = np.array([h["val_uar"] for h in result.history])
        results[f"{name}_train_loss"] = np.array([h["train_loss"] for h in result.history])
    np.savez(f"{out_prefix}-{dist.get_rank()}.npz", **results)
    dist.destroy_process_group()


if __name__ == "__main__":
    _ddp_worker(sys.argv[1], sys.argv[2])
