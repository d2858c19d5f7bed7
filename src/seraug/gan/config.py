"""Hyperparameters of the GAN as plain data (no torch import, so the CLI can build its flags cheaply).

Every field becomes a ``seraug gan train`` flag (``ae_lr`` -> ``--ae-lr``) with the help text in its
metadata. Values the paper states are marked "paper"; the others are ours and say why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from seraug.errors import ConfigError

ARCHS = ("proposed", "bagan")
"""``proposed``: the paper's Fig. 1 network (Sections 2.2-2.4). ``bagan``: the original BAGAN of
Mariani et al. (2018) that the paper's Fig. 2a compares against (what it keeps and where it deviates:
:mod:`seraug.gan.models`)."""

GAN_LR = {"proposed": 1e-6, "bagan": 5e-5}
"""Fine-tuning learning rate per architecture when ``gan_lr`` is not given: the paper's 1e-6
(Section 2.3) for the proposed model; BAGAN's public code uses its single Adam rate 5e-5 for the
autoencoder and the GAN alike."""


TEXTURE_WEIGHT = 10.0
"""The ``ae_texture_weight`` of the ``texture`` recipe: of 5, 10, 15, 20 and 30 the weights whose autoencoders
kept the most striation energy in ``benchmarks/gan_autoencoder.py`` were 10 and 15 (0.31 and 0.32 of real at 20
epochs, against 0.13 without the term; 5, 20 and 30 kept 0.25, 0.26 and 0.18)."""

CONFIG_VERSION = 2
"""Version of the dict :meth:`GANConfig.to_dict` writes (model folders, checkpoints). Version 1 dicts carry no
``version`` key; :func:`migrate` reads every older version."""

V1_FIELDS = ("arch", "width", "latent_dim", "hidden", "dropout", "leaky_slope", "batch_size", "ae_epochs", "ae_lr",
             "gan_epochs", "gan_lr", "d_lr_scale", "g_ema", "balanced_real", "r1_gamma", "beta1", "beta2",
             "max_recoveries", "collapse_ratio", "seed", "amp", "channels_last")
"""The original fields of GANConfig, the form settings hashes are computed in (:func:`hash_form`), so that run
folders keep their hash whatever fields come and go. (Dicts without a ``version`` key may also hold fields added
later, such as ``ae_texture_weight``: version 1 is every dict written before ``version`` existed.)"""

RETIRED = {"d_lr_scale": 1.0, "balanced_real": False, "r1_gamma": 0.0, "gan_texture_weight": 0.0,
           "gan_rhythm_weight": 0.0, "gan_glide_weight": 0.0, "gan_level_weight": 0.0, "g_output": "image",
           "ae_pitch_weight": 0.0, "sample_spread": 1.0, "sample_best_of": 1}
"""Fields that have left GANConfig, each with the value at which it changed nothing. The research settings among
them (G's feature-matching terms, the source-filter output, D's learning-rate scale, balanced real batches, R1)
live on in ``benchmarks/gan_variants.py``; the sampling ones are arguments of :func:`seraug.gan.generate`."""


def migrate(config: dict) -> dict:
    """A GAN config dict of any version as the fields of today's :class:`GANConfig` (``version`` dropped).

    A retired field at its neutral value is dropped; at any other value the config describes a research
    variant that only ``benchmarks/gan_variants.py`` trains, so ConfigError names it."""
    config = {k: v for k, v in config.items() if k != "version"}
    for name, neutral in RETIRED.items():
        value = config.pop(name, neutral)
        if value != neutral:
            raise ConfigError(f"GAN setting {name}={value!r} was retired from seraug's recipes "
                              "(its runs are research variants: benchmarks/gan_variants.py trains them)")
    return config


def hash_form(config: dict) -> dict:
    """A GAN config dict in the form settings hashes are computed in: the :data:`V1_FIELDS` (a retired one at its
    neutral value) and a later field only where it differs from its default, so adding or retiring a field never
    changes the hash of settings that do not use it."""
    defaults = {f.name: f.default for f in fields(GANConfig)}
    today = migrate(config)
    kept = {k: v for k, v in today.items() if k in V1_FIELDS or v != defaults.get(k)}
    return {name: RETIRED[name] for name in V1_FIELDS if name in RETIRED} | kept


def _doc(text: str) -> dict:
    return {"help": text}


@dataclass(frozen=True)
class GANConfig:
    """Everything that shapes a GAN run; saved beside every model and checked on resume."""

    arch: str = field(default="proposed", metadata=_doc(
        "proposed (paper, Fig. 1: transposed convolutions, batch norm, dropout, leaky ReLU, separate "
        "real/fake D batches) or bagan (Mariani et al. 2018 after its public code: upsampling + convolution, "
        "no batch norm, the real batch and ceil(B/K) fakes in one D batch; deviations listed in seraug.gan.models)"))
    width: float = field(default=1.0, metadata=_doc(
        "channel multiplier; 1.0 is the full size (D: 64-512 channels, G: 512-32), 1/16 for tests and CPUs"))
    latent_dim: int = field(default=100, metadata=_doc("latent code size (paper: 100)"))
    hidden: int = field(default=1024, metadata=_doc(
        "size of G's first dense layer at width 1 (scaled by --width); paper: 2 dense layers, size not stated"))
    dropout: float = field(default=0.2, metadata=_doc(
        "dropout after every (de)convolution of the proposed model (paper: 0.2); bagan keeps its own 0.3"))
    leaky_slope: float = field(default=0.2, metadata=_doc(
        "negative slope of the leaky ReLUs of the proposed model (not stated in the paper; DCGAN's 0.2)"))
    batch_size: int = field(default=64, metadata=_doc("segments per batch (not stated in the paper)"))
    ae_epochs: int = field(default=50, metadata=_doc("epochs of step (a), autoencoder training (not stated)"))
    ae_lr: float = field(default=5e-5, metadata=_doc("Adam learning rate of the autoencoder (paper: 5e-5)"))
    ae_texture_weight: float = field(default=0.0, metadata=_doc(
        "weight of a texture term added to the autoencoder's mean squared error: the squared difference of the "
        "magnitude spectra along the mel axis of 32-band tiles (seraug.gan.steps.texture_loss). The MSE alone "
        "teaches the decoder to blur the harmonics whose bands the code does not pin; the magnitudes do not care "
        "where the stripes lie, so above 1 the decoder draws them (0 = the paper's MSE alone)"))
    gan_epochs: int = field(default=50, metadata=_doc("epochs of step (c), GAN fine-tuning (not stated)"))
    gan_lr: float | None = field(default=None, metadata=_doc(
        "Adam learning rate of G and D in fine-tuning; default per arch: proposed 1e-6 (paper), bagan 5e-5 "
        "(BAGAN's code)"))
    g_ema: float = field(default=0.0, metadata=_doc(
        "decay per fine-tuning step of an exponential moving average of G's weights, which then is the G that "
        "generates (0 = off: G's last weights, as in the paper). G's weights swing from epoch to epoch in a short "
        "fine-tuning; their average draws steadier samples (Yazici et al. 2019)"))
    beta1: float = field(default=0.5, metadata=_doc("Adam beta1 (BAGAN's 0.5)"))
    beta2: float = field(default=0.999, metadata=_doc("Adam beta2"))
    max_recoveries: int = field(default=2, metadata=_doc(
        "on non-finite losses or mode collapse: reload the last good checkpoint and halve the learning rate, "
        "at most this many times in each step (autoencoder, fine-tuning); then stop with an error (0: stop at once)"))
    collapse_ratio: float = field(default=0.1, metadata=_doc(
        "mode collapse = a class's generated segments vary less than this fraction of its real ones (seraug.gan.watch)"))
    seed: int = field(default=0, metadata=_doc("seed of every random step (same seed on CPU => same numbers)"))
    amp: bool = field(default=True, metadata=_doc(
        "bf16 autocast where the hardware has native bf16 (bf16 GPUs; CPUs with AMX or AVX512-BF16), else fp32"))
    channels_last: bool = field(default=True, metadata=_doc(
        "channels_last memory format (what cuDNN's and oneDNN's fast bf16 convolutions want)"))

    def __post_init__(self) -> None:
        def bad(name: str, why: str) -> ConfigError:
            return ConfigError(f"GANConfig.{name}={getattr(self, name)!r}: {why}")

        if self.arch not in ARCHS:
            raise bad("arch", f"must be one of {', '.join(ARCHS)}")
        for name in ("width", "ae_lr", "collapse_ratio"):
            if not getattr(self, name) > 0:
                raise bad(name, "must be positive")
        if self.gan_lr is not None and not self.gan_lr > 0:
            raise bad("gan_lr", "must be positive (or None for the arch's default)")
        for name in ("latent_dim", "hidden"):
            if getattr(self, name) < 1:
                raise bad(name, "must be at least 1")
        for name in ("ae_epochs", "gan_epochs", "max_recoveries"):
            if getattr(self, name) < 0:
                raise bad(name, "must not be negative")
        if self.batch_size < 2:
            raise bad("batch_size", "batch norm needs at least 2 segments per batch")
        for name in ("dropout", "g_ema", "beta1", "beta2"):
            if not 0 <= getattr(self, name) < 1:
                raise bad(name, "must be in [0, 1)")
        for name in ("leaky_slope", "ae_texture_weight"):
            if getattr(self, name) < 0:
                raise bad(name, "must not be negative")

    @property
    def fine_tuning_lr(self) -> float:
        """``gan_lr``, or the arch's default from :data:`GAN_LR` when it is None."""
        return self.gan_lr if self.gan_lr is not None else GAN_LR[self.arch]

    def to_dict(self) -> dict:
        """The fields and ``version`` (:data:`CONFIG_VERSION`), as model folders and checkpoints store them."""
        return asdict(self) | {"version": CONFIG_VERSION}

    @classmethod
    def from_dict(cls, d: dict) -> "GANConfig":
        """A config from :meth:`to_dict`'s dict of any version (:func:`migrate`); ConfigError on unknown fields."""
        d = migrate(d)
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"unknown GANConfig fields {sorted(unknown)}")
        return cls(**d)
