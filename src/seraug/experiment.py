"""The paper's experiments (Tables 2 and 3): balancing strategies compared by a VGG19, resumably.

A run is a grid of *cells* ``(scenario, fold, strategy, seed)``:

- scenario: ``natural`` (Table 3: the corpus as it is) or ``reduce-<label>`` (Table 2: 80% of that
  class removed, seeded, from the fold's training part; validation and test untouched);
- fold: a speaker-independent split from :mod:`seraug.folds`;
- strategy: how the training part is balanced (:data:`STRATEGIES`);
- seed: seeds the removal, the balancing and the training.

Every finished cell is written atomically to ``OUT/cells/<id>.json``; a re-run skips finished cells,
so an interrupted run resumes where it stopped, and ``--only`` picks cells so a grid can be spread over
machines (copy the ``cells/`` folders together and run ``--summary-only`` to merge). The folds do not
depend on the seed, so every strategy is compared with ``imbalanced`` on the same folds and seeds.
"""

from __future__ import annotations

import argparse
import fnmatch
import functools
import hashlib
import importlib.metadata
import json
import os
import platform
import shlex
import shutil
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
from tqdm.auto import tqdm

from seraug.arguments import add_corpus_arguments, merge_from_args
from seraug.augment import augment_waveforms, default_transforms, make_plan, undersample
from seraug.classifier import TrainConfig, evaluate, fit, init_distributed, predict_proba
from seraug.corpora import load_manifest
from seraug.audio import write_wav
from seraug.features import LogMelConfig, extract_features, invert_log_mel, segments_from_waveforms
from seraug.files import Claim, atomic_path, read_json, read_or_set_aside
from seraug.folds import SCHEMES as FOLD_SCHEMES
from seraug.folds import Fold, make_folds, missing_classes, simulate_imbalance
from seraug.gan import GANConfig, GANOverSampler, generate
from seraug.normalise import MinMaxScaler
from seraug.report import write_report
from seraug.runtime import bf16_available, resolve_device

SIGNAL_STRATEGIES = ("cp", "sa", "sar", "sar_m", "sar_b", "sar_s")
UNDERSAMPLING = ("under0.4", "under0.6", "under0.8", "under1.0")
STRATEGIES = ("imbalanced", "full", *SIGNAL_STRATEGIES, *UNDERSAMPLING, "gan", "bagan")
"""``imbalanced``: the training part as it is; ``full``: Table 2's training part before the removal (a
reference); ``cp`` ... ``sar_s``: Table 1's signal strategies; ``underR``: random undersampling to a
minority/majority ratio R; ``gan``: the proposed GAN; ``bagan``: the original BAGAN."""


@dataclass(frozen=True)
class Preset:
    """A run's scale: the classifier's and the GAN's configs and the fold settings.

    A cell trains ``replace(preset.classifier, seed=cell.seed, device=..., compile=...)`` and, for
    ``gan``/``bagan``, ``replace(preset.gan, arch=..., seed=cell.seed)``.

    Attributes:
        classifier: the VGG19's training config (:class:`seraug.classifier.TrainConfig`).
        gan: the GAN's config (:class:`seraug.gan.GANConfig`); ``arch`` and ``seed`` are set per cell.
        validation_fraction: share of a fold's training speakers that validate (early stopping); 0
            for none, with ``classifier.select="last"`` (every training speaker then trains).
        max_folds: use only the first N folds (None: all).
    """

    classifier: TrainConfig
    gan: GANConfig
    validation_fraction: float = 0.1
    max_folds: int | None = None

    def __post_init__(self) -> None:
        if self.validation_fraction == 0 and self.classifier.select != "last":
            raise ValueError("a preset without validation speakers needs classifier.select='last' "
                             "(there is no validation UAR to pick the best epoch by)")


PRESETS = {
    "smoke": Preset(TrainConfig(width=1 / 16, epochs=12, patience=5, batch_size=32, lr=1e-3),
                    GANConfig(width=1 / 16, ae_epochs=4, gan_epochs=2), max_folds=2),
    "cpu": Preset(TrainConfig(width=1 / 8, head="gap", dropout=0.3, epochs=20, batch_size=32, lr=3e-3,
                              weight_decay=0.05, schedule="onecycle", select="last", label_smoothing=0.1),
                  GANConfig(width=1 / 16, ae_epochs=4, gan_epochs=2), validation_fraction=0),
    "paper": Preset(TrainConfig(width=1.0, epochs=60, patience=10, batch_size=64, lr=1e-4),
                    GANConfig(width=1.0, ae_epochs=50, gan_epochs=50)),
}
"""``smoke``: the whole pipeline in minutes on 2 CPU cores, numbers that say little (tests, a first
look); ``cpu``: the scale whose tables can be trusted on 2 CPU cores (see the README and
``docs/results.md``); ``paper``: the paper's full-width networks, for a GPU."""

DEPRECATED_PRESETS = {"quick": "smoke"}
"""Old preset names still accepted, with a warning."""


@dataclass
class ExperimentConfig:
    """Everything a run depends on; saved as ``OUT/config.json``."""

    corpus: str
    root: str | None
    out: str
    protocol: str = "table3"
    strategies: list[str] = field(default_factory=lambda: ["imbalanced", "cp", "sa", "sar", "under1.0", "gan"])
    seeds: list[int] = field(default_factory=lambda: [1])
    preset: str | Preset = "cpu"
    folds: str = "auto"
    n_groups: int = 6
    max_folds: int | None = None
    reduce: list[str] | None = None
    reduce_fraction: float = 0.8
    classes: str | None = None
    merge: dict[str, str] | None = None
    test_corpus: str | None = None
    test_root: str | None = None
    noise_dir: str | None = None
    device: str = "auto"
    compile: bool = False
    only: list[str] | None = None
    amp: bool | None = None
    command: str | None = None

    def __post_init__(self) -> None:
        self.strategies = list(dict.fromkeys(self.strategies))  # a repeated name would run its cells twice
        self.seeds = list(dict.fromkeys(self.seeds))
        if not self.strategies or not self.seeds:
            raise ValueError("give at least one strategy and one seed")
        if self.max_folds is not None and self.max_folds < 1:
            raise ValueError(f"--max-folds must be at least 1, got {self.max_folds}")
        if self.folds not in ("auto", *FOLD_SCHEMES):
            raise ValueError(f"unknown fold scheme {self.folds!r}; choose auto, {', '.join(FOLD_SCHEMES)}")
        # Absolute paths, so a resume from another working directory is recognised as the same run.
        for name in ("root", "noise_dir", "test_root"):
            if getattr(self, name) is not None:
                setattr(self, name, str(Path(getattr(self, name)).expanduser().resolve()))
        if self.protocol not in ("table2", "table3"):
            raise ValueError(f"unknown protocol {self.protocol!r}; choose table2 or table3")
        unknown = [s for s in self.strategies if s not in STRATEGIES]
        if unknown:
            raise ValueError(f"unknown strategy {', '.join(unknown)}; choose from {', '.join(STRATEGIES)}")
        if self.preset in DEPRECATED_PRESETS:
            warnings.warn(f"preset {self.preset!r} is now called {DEPRECATED_PRESETS[self.preset]!r}",
                          DeprecationWarning, stacklevel=2)
            self.preset = DEPRECATED_PRESETS[self.preset]
        if not isinstance(self.preset, Preset) and self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; choose {', '.join(PRESETS)}")
        if "full" in self.strategies and self.protocol != "table2":
            raise ValueError("strategy 'full' (the training part before removal) only exists in table2")
        if any(s in ("sa", "sar", "sar_m", "sar_b") for s in self.strategies) and not self.noise_dir:
            raise ValueError("strategies sa, sar, sar_m and sar_b mix background noise: pass --noise-dir DIR")

    @property
    def sizes(self) -> Preset:
        """The preset (given, or by name), with ``amp`` applied to its classifier and GAN when set."""
        preset = self.preset if isinstance(self.preset, Preset) else PRESETS[self.preset]
        if self.amp is None:
            return preset
        return replace(preset, classifier=replace(preset.classifier, amp=self.amp),
                       gan=replace(preset.gan, amp=self.amp))


@dataclass(frozen=True)
class Cell:
    scenario: str
    fold: str
    strategy: str
    seed: int

    @property
    def id(self) -> str:
        return f"{self.scenario}/{self.fold}/{self.strategy}/seed{self.seed}"

    def path(self, out: Path) -> Path:
        return out / "cells" / f"{self.id.replace('/', '__')}.json"


class Data:
    """The corpus once: manifest, folds, the cached real segments, and the label order."""

    def __init__(self, config: ExperimentConfig) -> None:
        self.config = config
        manifest = load_manifest(config.corpus, config.root, config.classes, config.merge)
        test = (load_manifest(config.test_corpus, config.test_root, config.classes, config.merge)
                if config.test_corpus else None)
        sizes = config.sizes
        self.scheme = config.folds
        if self.scheme == "auto":  # the paper's protocols: FEEL-25k's split with a test corpus, IEMOCAP's sessions
            self.scheme = ("shuffle" if test is not None else
                           "session" if manifest["session"].notna().all() else "speaker")
        # The shuffle scheme is a training/validation split by definition (FEEL-25k's 80/20).
        validation = (sizes.validation_fraction or 0.1) if self.scheme == "shuffle" else sizes.validation_fraction
        self.folds: list[Fold] = make_folds(manifest, self.scheme, config.n_groups, validation, seed=0, test=test)
        limit = config.max_folds or sizes.max_folds
        self.folds = self.folds[:limit] if limit else self.folds
        self.manifest = pd.concat([manifest, test], ignore_index=True) if test is not None else manifest
        if not self.manifest["utterance"].is_unique:
            raise ValueError("utterance ids repeat between the training and the test corpus")
        self.labels = sorted(self.manifest["label"].unique())
        untrainable, unscored = missing_classes(self.folds, self.manifest.set_index("utterance")["label"])
        if untrainable:
            raise ValueError(f"{len(untrainable)} fold(s) would test classes their training part lacks (recall 0 "
                             f"whatever the strategy): {'; '.join(untrainable[:5])}. Keep classes with enough "
                             "speakers (--classes), or use other folds (--folds groups --n-groups N)")
        if unscored:
            warnings.warn(f"{'; '.join(unscored[:5])}: these folds' UAR averages the classes their test "
                          "speakers hold", stacklevel=2)
        self.feature_config = LogMelConfig()
        self.manifest = self.manifest.set_index("utterance", drop=False)

    @functools.cached_property
    def store(self) -> tuple[np.ndarray, pd.DataFrame]:
        """The real segments (dB) and their table, extracted on first use into ``OUT/features`` (cached)."""
        return extract_features(self.manifest.reset_index(drop=True), Path(self.config.out) / "features",
                                self.feature_config, device=self.config.device)

    @property
    def fingerprint(self) -> str:
        """Hash of the corpus as the run sees it (utterances, speakers, labels, sessions), wherever it lies."""
        table = self.manifest[["utterance", "speaker", "label", "session", "corpus"]].to_csv(index=False)
        return hashlib.blake2b(table.encode(), digest_size=8).hexdigest()

    def scenarios(self) -> list[str]:
        if self.config.protocol == "table3":
            return ["natural"]
        reduce = self.config.reduce or [label for label in self.labels if label != "neutral"]
        missing = [c for c in reduce if c not in self.labels]
        if missing:
            raise ValueError(f"--reduce class(es) {', '.join(missing)} not in the corpus ({', '.join(self.labels)})")
        return [f"reduce-{c}" for c in reduce]

    def cells(self) -> list[Cell]:
        cells = [Cell(s, f.name, strategy, seed) for s in self.scenarios() for f in self.folds
                 for strategy in self.config.strategies for seed in self.config.seeds]
        if self.config.only:
            cells = [c for c in cells if any(fnmatch.fnmatch(c.id, pattern) for pattern in self.config.only)]
        return cells

    def real(self, utterances: pd.Index | list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cached segments of some utterances: ``X`` (dB), label indices, utterance ids."""
        X, segments = self.store
        rows = np.flatnonzero(segments["utterance"].isin(set(utterances)).to_numpy())
        return X[rows], self.encode(segments["label"].to_numpy()[rows]), segments["utterance"].to_numpy()[rows]

    @functools.cached_property
    def transforms(self) -> dict:
        """Table 1's transforms at their default ranges; BN reads ``--noise-dir`` once, when first needed."""
        return default_transforms(self.config.noise_dir)

    def encode(self, labels: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.labels, labels).astype(np.int64)


def training_set(data: Data, cell: Cell, fold: Fold, work: Path | None = None
                 ) -> tuple[np.ndarray, np.ndarray, MinMaxScaler, dict]:
    """The balanced training segments of a cell, normalised to [-1, 1], their scaler, and what was done.

    The scaler is fitted on the real segments of the cell's training part (after Table 2's removal,
    before any balancing), so every strategy of a scenario, fold and seed sees validation and test
    data scaled identically and only the training rows differ. Signal-augmented segments may fall a
    little outside [-1, 1]; GAN rows are generated in the normalised space by a GAN trained on the real
    training segments. Signal strategies, copies and undersampling balance *utterances* (the unit the
    audio transforms act on); the GAN balances *segments* (the unit it generates), as in the paper.
    ``work``: a folder for the GAN's checkpoints, so an interrupted cell resumes its GAN training.
    """
    train = data.manifest.loc[list(fold.train)]
    if cell.scenario.startswith("reduce-") and cell.strategy != "full":
        train = simulate_imbalance(train, cell.scenario.removeprefix("reduce-"), data.config.reduce_fraction, cell.seed)
    scaler = MinMaxScaler().fit(data.real(train.index)[0])
    if cell.strategy in UNDERSAMPLING:
        ratio = float(cell.strategy.removeprefix("under"))
        train = train.loc[undersample(train, ratio, seed=cell.seed, classes=data.labels)["utterance"]]
    if cell.strategy in SIGNAL_STRATEGIES:
        plan = make_plan(train, cell.strategy.upper(), seed=cell.seed, transforms=data.transforms, classes=data.labels)
        X, y = _signal_augmented(data, plan)
        utterances = plan["label"].value_counts()
    else:
        X, y, _ = data.real(train.index)
        utterances = train["label"].value_counts()
    X = scaler.transform(X)
    if cell.strategy in ("gan", "bagan"):
        gan = replace(data.config.sizes.gan, arch="proposed" if cell.strategy == "gan" else "bagan")
        sampler = GANOverSampler(config=gan, random_state=cell.seed,
                                 device=data.config.device, out_dir=work / "gan" if work else None)
        real_X, real_y = X, y
        X, y = sampler.fit_resample(X, y)
        examples = Path(data.config.out) / "examples"
        if not (examples / cell.strategy).exists():  # the run's first cell of this strategy shows its samples
            fake = {k: sampler.scaler_.inverse_transform(generate(sampler.model_, k, 1, seed=cell.seed))
                    for k in range(len(data.labels)) if k in set(real_y)}
            write_examples(examples, cell.strategy, real_X, real_y, fake, scaler, data.labels, data.feature_config)
    info = {"train_utterances": utterances.to_dict(),
            "train_segments": {data.labels[k]: int(n) for k, n in zip(*np.unique(y, return_counts=True))},
            "scaler": scaler.to_dict()}
    return X, y, scaler, info


def write_examples(folder: Path, strategy: str, X_real: np.ndarray, y_real: np.ndarray, fake: dict[int, np.ndarray],
                   scaler: MinMaxScaler, labels: list[str], features: LogMelConfig) -> None:
    """Examples to look at and listen to: per class one real training segment and one generated.

    Writes ``folder/real/<class>.wav`` (once per run), ``folder/<strategy>/<class>.wav`` and
    ``folder/<strategy>/grid.png`` (real beside generated). Both kinds go through the same inversion
    (normalisation undone, dB to power, mel to linear, Griffin-Lim), so they differ only by what the
    GAN made, not by the vocoder. ``fake``: class index -> ``(1, 128, 128)`` segment in the cell's
    normalised scale.
    """
    from seraug.gan.render import spectrogram_grid

    rng = np.random.default_rng(0)
    real = {k: X_real[rng.choice(np.flatnonzero(y_real == k), 1)] for k in fake}
    for kind, segments in (("real", real), (strategy, fake)):
        if kind == "real" and (folder / "real").exists():
            continue
        tmp = folder / f".{kind}.tmp"  # written aside, then renamed: the folder appears complete
        shutil.rmtree(tmp, ignore_errors=True)
        for k, segment in segments.items():
            write_wav(tmp / f"{labels[k]}.wav", invert_log_mel(scaler.inverse_transform(segment[0]), features))
        if kind != "real":
            spectrogram_grid(tmp / "grid.png", {"real": {labels[k]: real[k] for k in real},
                                                kind: {labels[k]: fake[k] for k in fake}},
                             title=f"one real and one {kind} segment per class", features=features)
        os.replace(tmp, folder / kind)


def _signal_augmented(data: Data, plan: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Cached segments of the plan's kept originals plus segments of its augmented audio (in memory)."""
    X_real, y_real, _ = data.real(plan.loc[plan["kind"] == "original", "source"])
    synthetic = plan[plan["kind"] != "original"]
    waves = list(augment_waveforms(synthetic, data.transforms, jobs=None))
    X_aug, owner, _ = segments_from_waveforms(waves, data.feature_config, data.config.device)
    y_aug = data.encode(synthetic["label"].to_numpy()[owner])
    return np.concatenate([X_real, X_aug]), np.concatenate([y_real, y_aug])


def train_config(config: ExperimentConfig, seed: int) -> TrainConfig:
    """The classifier's config of a cell: the preset's, with the cell's seed and the run's device."""
    return replace(config.sizes.classifier, seed=seed, device=config.device, compile=config.compile)


def run_cell(data: Data, cell: Cell, work: Path | None = None) -> dict:
    """Balance, train, test one cell; returns its result (metrics at the utterance level).

    ``work``: a folder for the cell's GAN and classifier checkpoints; a cell interrupted midway and run
    again with the same folder continues its training from the last finished epoch.
    """
    start = time.time()
    fold = next(f for f in data.folds if f.name == cell.fold)
    X_train, y_train, scaler, info = _shared_training_set(data, cell, fold, work)
    X_val, y_val, utt_val = data.real(fold.validation)
    X_test, y_test, utt_test = data.real(fold.test)
    result = fit(X_train, y_train, scaler.transform(X_val), y_val, utt_val, len(data.labels),
                 train_config(data.config, cell.seed), checkpoint_dir=work / "classifier" if work else None,
                 progress=False, scaler=scaler)
    metrics = evaluate(predict_proba(result.model, scaler.transform(X_test)), y_test, utt_test)
    return {"cell": cell.id, **asdict(cell), "labels": data.labels, **metrics, **info, "best_epoch": result.best_epoch,
            "history": result.history, "seconds": round(time.time() - start, 1)}


def _shared_training_set(data: Data, cell: Cell, fold: Fold, work: Path | None):
    """:func:`training_set`, built once on rank 0 and sent to every rank under ``torchrun``.

    Every rank must shard the same rows, and GAN training on CUDA is not bit-reproducible, so the
    other ranks wait (for as long as a GAN trains) rather than build their own.
    """
    device = resolve_device(data.config.device)
    ddp = init_distributed(device.type)
    if ddp.world_size == 1:
        return training_set(data, cell, fold, work)
    payload = [training_set(data, cell, fold, work) if ddp.is_main else None]
    dist.broadcast_object_list(payload, src=0,
                               device=torch.device("cuda", ddp.local_rank) if device.type == "cuda" else None)
    return payload[0]


def _write_json(path: Path, payload: dict) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=1, default=_jsonable))


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


GRID_FIELDS = ("out", "strategies", "seeds", "only", "reduce", "max_folds", "device", "compile", "versions",
               "root", "test_root", "noise_dir", "folds", "preset", "command", "commands", "machine")
"""Config fields that do not change a cell's result: which cells run, on which machine (and how fast)
and where the files lie. The corpus counts by its ``corpus_fingerprint``, ``folds`` by the ``fold_scheme`` it resolved
to and ``preset`` by the ``sizes`` it gave; every other field changes results, so a run folder keeps it."""


def full_config(config: ExperimentConfig, data: Data) -> dict:
    """Everything a run's results depend on, as written to ``OUT/config.json``: the options, the
    corpus fingerprint, the preset's configs (``sizes``), the front end's settings, the fold scheme
    used, the versions of the libraries that shape results, and the machine (for timings)."""
    return json.loads(json.dumps(asdict(config) | {
        "corpus_fingerprint": data.fingerprint, "sizes": asdict(config.sizes), "fold_scheme": data.scheme,
        "fold_seed": 0, "features": asdict(LogMelConfig()), "versions": library_versions(),
        "machine": machine_description(config.device)}))


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries whose behaviour shapes a run's numbers."""
    names = ("seraug", "torch", "numpy", "scipy", "librosa", "soxr", "soundfile", "audiomentations",
             "scikit-learn", "imbalanced-learn", "pandas")
    versions = {"python": sys.version.split()[0]}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def machine_description(device: str) -> str:
    """The device a run trains on, in words: GPU name, or CPU model, threads and bf16 support."""
    resolved = resolve_device(device)
    if resolved.type == "cuda":
        return torch.cuda.get_device_name(resolved)
    bf16 = "native" if bf16_available(resolved) else "not native"
    return f"{_cpu_model()}, {torch.get_num_threads()} threads, bf16 {bf16}"


def _cpu_model() -> str:
    """The CPU's model name (Linux's /proc/cpuinfo, else what the platform module says)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "CPU"


def settings_hash(config: dict) -> str:
    """Short hash of the settings that change results (all but :data:`GRID_FIELDS`), stored in every cell
    so that cells of different runs are never mixed in one table."""
    kept = {k: v for k, v in config.items() if k not in GRID_FIELDS}
    return hashlib.blake2b(json.dumps(kept, sort_keys=True).encode(), digest_size=8).hexdigest()


def _check_same_settings(out: Path, config: dict) -> None:
    """Refuse to add cells made with other settings to a folder that holds finished cells; with none
    finished, drop the checkpoints of cells begun with other settings (they could not be resumed)."""
    path = out / "config.json"
    if not path.exists() or settings_hash(json.loads(path.read_text())) == settings_hash(config):
        return
    if any((out / "cells").glob("*.json")):
        before = json.loads(path.read_text())
        changed = sorted(k for k in (before.keys() | config.keys()) - set(GRID_FIELDS)
                         if before.get(k) != config.get(k))
        raise ValueError(f"{out}: holds a run with other settings ({', '.join(changed)} differ); "
                         f"use another --out, or the same settings to resume")
    shutil.rmtree(out / "work", ignore_errors=True)


def _commands(out: Path, command: str | None) -> list[str]:
    """Every command line that has run in this folder, oldest first (each once), ``command`` last."""
    path = out / "config.json"
    before = json.loads(path.read_text()).get("commands", []) if path.exists() else []
    return [c for c in before if c != command] + ([command] if command else [])


def run_experiment(config: ExperimentConfig, progress: bool = True) -> pd.DataFrame:
    """Run every unfinished cell of the grid, then write the tables and figures; returns the summary.

    Each cell trains in ``OUT/work/<cell>/`` (GAN and classifier checkpoints, removed once the cell's
    result is written), so a run killed in the middle of a long cell resumes that cell's training.
    Under ``torchrun`` every process runs the same cells (the classifier's training is distributed) and
    only rank 0 writes.
    """
    out = Path(config.out)
    writer = int(os.environ.get("RANK", "0")) == 0
    data = Data(config)  # corpus and folds; the features are extracted after the check below
    settings = full_config(config, data)
    _check_same_settings(out, settings)
    if writer:
        _write_json(out / "config.json", settings | {"commands": _commands(out, None)})
    cells = data.cells()
    todo = [c for c in cells if read_or_set_aside(c.path(out), read_json) is None]
    show = progress and writer
    if show:
        print(f"{out.resolve()}: {len(cells)} cells ({len(cells) - len(todo)} finished), {len(data.folds)} "
              f"{data.scheme} folds; results go to {out / 'summary.md'} and {out / 'report.html'}", flush=True)
    bar = tqdm(todo, desc="cells", unit="cell", disable=not show)
    single = int(os.environ.get("WORLD_SIZE", "1")) == 1  # under torchrun all ranks share every cell
    busy = []
    for cell in bar:
        work = out / "work" / cell.path(out).stem
        claim = Claim(work)
        if single and not claim.take():
            busy.append(cell.id)
            continue
        try:
            result = run_cell(data, cell, work) | {"settings": settings_hash(settings)}
        except BaseException:
            if single:
                claim.release()  # its checkpoints and time stay for the next run
            raise
        if single:  # every process's time on the cell, not only this one's
            result["seconds"] = round(claim.total_seconds(), 1)
        if writer:
            _write_json(cell.path(out), result)
            shutil.rmtree(work, ignore_errors=True)
        if show:
            bar.write(f"{cell.id}: UAR {100 * result['uar']:.1f}, F-score {100 * result['f_score']:.1f} "
                      f"({result['seconds']:.0f} s)")
    if busy and show:
        print(f"{len(busy)} cell(s) left to another process running on {out} (e.g. {busy[0]}); re-run once it "
              "ends for the full table", flush=True)
    if writer and not any((out / "work").glob("*")):
        shutil.rmtree(out / "work", ignore_errors=True)
    if writer and not busy:  # a command counts once all its cells are written (an interrupted one made no table)
        _write_json(out / "config.json", settings | {"commands": _commands(out, config.command)})
    return write_report(out) if writer else pd.DataFrame()


def add_parser(subparsers, help: str) -> None:
    """Register ``seraug experiment`` (one-line ``help``) on an argparse subparsers object."""
    p = subparsers.add_parser(
        "experiment", help=help,
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_corpus_arguments(p, required=False)
    p.add_argument("--protocol", choices=["table2", "table3"], default="table3",
                   help="table2: remove 80%% of one class at a time from training, columns = reduced class + average; "
                        "table3: the corpus as it is, UAR and F-score columns (default)")
    p.add_argument("--strategies", default="imbalanced,cp,sa,sar,under1.0,gan",
                   help=f"comma-separated, from: {', '.join(STRATEGIES)} (default %(default)s)")
    p.add_argument("--seeds", default="1", help="comma-separated seeds (default %(default)s)")
    p.add_argument("--preset", choices=[*PRESETS, *DEPRECATED_PRESETS], default="cpu",
                   help="cpu (default): VGG19 at width 1/8 with a one-cycle schedule, every fold, tables worth "
                        "reading on 2 CPU cores; smoke: tiny networks, 2 folds, minutes (numbers say little); "
                        "paper: the paper's full-width networks, every fold (for a GPU); quick: old name of smoke")
    p.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None,
                   help="bf16 autocast for the classifier and the GAN where the hardware has native bf16 (CPUs "
                        "with AMX / AVX512-BF16, bf16 GPUs); --no-amp trains in fp32 (default: the preset's)")
    p.add_argument("--folds", choices=["auto", *FOLD_SCHEMES], default="auto",
                   help="speaker: leave one speaker out; session: leave one session out; groups: --n-groups "
                        "speaker groups; shuffle: an 80/20 training/validation split with --test-corpus as the "
                        "test set (the paper's FEEL-25k protocol); auto (default): shuffle with --test-corpus, "
                        "else session when every utterance has one (IEMOCAP), else speaker")
    p.add_argument("--n-groups", type=int, default=6, help="speaker groups for --folds groups (default 6)")
    p.add_argument("--max-folds", type=int, help="use only the first N folds (default: the preset's)")
    p.add_argument("--reduce", help="table2: classes to reduce in turn (default: every class but neutral)")
    p.add_argument("--test-corpus", help="with --folds shuffle: the separate test corpus's loader name")
    p.add_argument("--test-root", help="with --folds shuffle: the separate test corpus's folder")
    p.add_argument("--noise-dir", help="folder of background-noise clips for BN (sa, sar, sar_m, sar_b)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the classifier (faster epochs on a GPU after a slower first one)")
    p.add_argument("--only", action="append",
                   help="run only cells whose id matches this glob, e.g. 'reduce-sadness/*/gan/*' (repeatable); "
                        "ids are scenario/fold/strategy/seedN")
    p.add_argument("--summary-only", action="store_true",
                   help="run no cell; rebuild the tables from OUT/cells (e.g. after copying cells of several "
                        "machines together); the other options are ignored")
    p.add_argument("--out", required=True, help="output folder (re-running with the same folder resumes)")
    p.set_defaults(func=_command)


def _command(args: argparse.Namespace) -> int:
    if args.summary_only:
        write_report(args.out)
    elif not args.corpus:
        raise ValueError("--corpus is required unless --summary-only (see `seraug corpora`)")
    else:
        config = ExperimentConfig(
            corpus=args.corpus, root=args.root, out=args.out, protocol=args.protocol,
            strategies=[s.strip() for s in args.strategies.split(",") if s.strip()],
            seeds=[int(s) for s in args.seeds.split(",")], preset=args.preset, folds=args.folds,
            n_groups=args.n_groups, max_folds=args.max_folds,
            reduce=[c.strip() for c in args.reduce.split(",")] if args.reduce else None, classes=args.classes,
            merge=merge_from_args(args),
            test_corpus=args.test_corpus, test_root=args.test_root, noise_dir=args.noise_dir, device=args.device,
            compile=args.compile, amp=args.amp, only=args.only,
            command=shlex.join(["seraug", *args.argv]))
        run_experiment(config)
    print((Path(args.out) / "summary.md").read_text())
    return 0
