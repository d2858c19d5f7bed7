"""What a run is: its scale (:class:`Preset`), its options (:class:`ExperimentConfig`) and the settings
that its results depend on (:func:`full_config`, :func:`settings_hash`), as written to ``OUT/config.json``."""

from __future__ import annotations

import importlib.metadata
import json
import platform
import sys
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch

from seraug.augment import strategy_name
from seraug.classifier import TrainConfig
from seraug.errors import ConfigError
from seraug.experiment.strategies import IMPROVED_GAN, RETIRED, STRATEGIES
from seraug.features.logmel import LogMelConfig
from seraug.files import fingerprint
from seraug.experiment.folds import SCHEMES as FOLD_SCHEMES
from seraug.classifier.recipes import CLASSIFIER_PRESETS
from seraug.gan.config import GANConfig, hash_form
from seraug.gan.recipes import SIZES as GAN_SIZES
from seraug.runtime import bf16_available, resolve_device


@dataclass(frozen=True)
class Preset:
    """A run's scale: the classifier's and the GAN's configs and the fold settings.

    A cell trains ``replace(preset.classifier, seed=cell.seed, device=..., compile=...)`` and, for a GAN
    strategy, its recipe's config at these sizes with the cell's seed.

    Attributes:
        classifier: the VGG19's training config (:class:`seraug.classifier.TrainConfig`).
        gan: the GAN's ``paper`` base config at the preset's size (:data:`seraug.gan.recipes.SIZES`): what
            the ``paper`` and ``bagan`` recipes start from.
        gan_tuned: the ``tuned`` base config at the preset's size: what the ``texture`` recipe starts from
            (None: ``gan``, for a preset of one size such as a test's). The names are those run folders
            record, so ``cpu`` and ``smoke`` folders keep their settings hashes; ``paper`` had no tuned config
            before, so a ``paper`` folder written before it got one hashes anew.
        validation_fraction: share of a fold's training speakers that validate (early stopping); 0
            for none, with ``classifier.select="last"`` (every training speaker then trains).
        max_folds: use only the first N folds (None: all).
    """

    classifier: TrainConfig
    gan: GANConfig
    gan_tuned: GANConfig | None = None
    validation_fraction: float = 0.1
    max_folds: int | None = None

    def __post_init__(self) -> None:
        if self.validation_fraction == 0 and self.classifier.select != "last":
            raise ConfigError("a preset without validation speakers needs classifier.select='last' "
                             "(there is no validation UAR to pick the best epoch by)")


PRESETS = {name: Preset(CLASSIFIER_PRESETS[name], GAN_SIZES[name].paper, GAN_SIZES[name].tuned,
                        **extra)
           for name, extra in (("smoke", {"max_folds": 2}), ("cpu", {"validation_fraction": 0}), ("paper", {}))}
"""``smoke``: the whole pipeline in minutes on 2 CPU cores, numbers that say little (tests, a first
look); ``cpu``: the scale whose tables can be trusted on 2 CPU cores (see the README and
``docs/results.md``); ``paper``: the paper's full-width networks, for a GPU. The classifier's recipes are
:data:`seraug.classifier.recipes.CLASSIFIER_PRESETS`, the GAN's :data:`seraug.gan.recipes.SIZES`."""

DEPRECATED_PRESETS = {"quick": "smoke"}
"""Old preset names still accepted, with a warning."""


@dataclass
class ExperimentConfig:
    """Everything a run depends on; saved as ``OUT/config.json``."""

    corpus: str
    root: str | None
    out: str
    protocol: str = "table3"
    strategies: list[str] = field(default_factory=lambda: ["imbalanced", "sa", IMPROVED_GAN])
    seeds: list[int] = field(default_factory=lambda: [1])
    preset: str | Preset = "cpu"
    folds: str = "auto"
    n_groups: int = 5
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
    reuse: list[str] | None = None
    amp: bool | None = None
    command: str | None = None

    def __post_init__(self) -> None:
        self.strategies = list(dict.fromkeys(self.strategies))  # a repeated name would run its cells twice
        self.seeds = list(dict.fromkeys(self.seeds))
        if not self.strategies or not self.seeds:
            raise ConfigError("give at least one strategy and one seed")
        if self.max_folds is not None and self.max_folds < 1:
            raise ConfigError(f"--max-folds must be at least 1, got {self.max_folds}")
        if self.folds not in ("auto", *FOLD_SCHEMES):
            raise ConfigError(f"unknown fold scheme {self.folds!r}; choose auto, {', '.join(FOLD_SCHEMES)}")
        # Absolute paths, so a resume from another working directory is recognised as the same run.
        for name in ("out", "root", "noise_dir", "test_root"):
            if getattr(self, name) is not None:
                setattr(self, name, str(Path(getattr(self, name)).expanduser().resolve()))
        missing = [folder for folder in self.reuse or [] if not (Path(folder) / "config.json").exists()]
        if missing:
            raise ConfigError(f"--reuse {missing[0]}: not a run folder of seraug experiment (no config.json)")
        if self.protocol not in ("table2", "table3"):
            raise ConfigError(f"unknown protocol {self.protocol!r}; choose table2 or table3")
        spelled = (strategy_name(s) for s in self.strategies)  # one vocabulary with `seraug augment`
        self.strategies = list(dict.fromkeys("under1.0" if s == "under" else s for s in spelled))
        retired = [s for s in self.strategies if s in RETIRED]
        if retired:
            raise ConfigError(f"strategy {retired[0]} was retired ({RETIRED[retired[0]]}); its committed cells stay "
                              f"readable and benchmarks/gan_variants.py still trains it; use {IMPROVED_GAN}")
        unknown = [s for s in self.strategies if s not in STRATEGIES]
        if unknown:
            raise ConfigError(f"unknown strategy {', '.join(unknown)}; choose from {', '.join(STRATEGIES)}")
        if self.preset in DEPRECATED_PRESETS:
            warnings.warn(f"preset {self.preset!r} is now called {DEPRECATED_PRESETS[self.preset]!r}",
                          DeprecationWarning, stacklevel=2)
            self.preset = DEPRECATED_PRESETS[self.preset]
        if not isinstance(self.preset, Preset) and self.preset not in PRESETS:
            raise ConfigError(f"unknown preset {self.preset!r}; choose {', '.join(PRESETS)}")
        if "full" in self.strategies and self.protocol != "table2":
            raise ConfigError("strategy 'full' (the training part before removal) only exists in table2")
        noisy = [s for s in self.strategies if STRATEGIES[s].needs_noise]
        if noisy and not self.noise_dir:
            raise ConfigError(f"strateg{'ies' if len(noisy) > 1 else 'y'} {', '.join(noisy)} mix background noise: "
                             "pass --noise-dir DIR")

    @property
    def sizes(self) -> Preset:
        """The preset (given, or by name), with ``amp`` applied to its classifier and GAN when set."""
        preset = self.preset if isinstance(self.preset, Preset) else PRESETS[self.preset]
        if self.amp is None:
            return preset
        return replace(preset, classifier=replace(preset.classifier, amp=self.amp),
                       gan=replace(preset.gan, amp=self.amp),
                       gan_tuned=replace(preset.gan_tuned, amp=self.amp) if preset.gan_tuned else None)


GRID_FIELDS = ("out", "strategies", "seeds", "only", "reuse", "reduce", "max_folds", "device", "compile", "versions",
               "root", "test_root", "noise_dir", "folds", "preset", "command", "commands", "machine")
"""Config fields that do not change a cell's result: which cells run, on which machine (and how fast)
and where the files lie. The corpus counts by its ``corpus_fingerprint``, ``folds`` by the ``fold_scheme`` it resolved
to and ``preset`` by the ``sizes`` it gave; every other field changes results, so a run folder keeps it."""


def full_config(config: ExperimentConfig, data) -> dict:
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


GAN_SIZE_FIELDS = ("gan", "gan_tuned")
"""The entries of ``sizes`` that hold GAN configs (hashed in :func:`seraug.gan.config.hash_form`)."""


def settings_hash(config: dict) -> str:
    """Short hash of the settings that change results (all but :data:`GRID_FIELDS`), stored in every cell
    so that cells of different runs are never mixed in one table. GAN configs enter in their version-1
    form (:func:`seraug.gan.config.hash_form`), so fields added or retired since never change the hash of
    settings that do not use them: run folders keep their hash."""
    kept = {k: v for k, v in config.items() if k not in GRID_FIELDS}
    if isinstance(kept.get("sizes"), dict):
        kept["sizes"] = {name: hash_form(value) if name in GAN_SIZE_FIELDS and isinstance(value, dict) else value
                         for name, value in kept["sizes"].items()}
    return fingerprint(kept, size=8)


def train_config(config: ExperimentConfig, seed: int) -> TrainConfig:
    """The classifier's config of a cell: the preset's, with the cell's seed and the run's device."""
    return replace(config.sizes.classifier, seed=seed, device=config.device, compile=config.compile)
