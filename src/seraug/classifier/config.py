"""The classifier's training settings (:class:`TrainConfig`): what defines a run, saved with every
checkpoint and chosen per preset in :mod:`seraug.experiment.config`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from seraug.errors import ConfigError

SCHEDULES = ("constant", "onecycle")
"""Learning-rate schedules of :class:`TrainConfig` (see its ``schedule``)."""

@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a classifier run (plain data; saved with every checkpoint).

    Attributes:
        width: VGG19 channel multiplier (1.0 = the real VGG19; 1/16 for tests).
        batch_norm: VGG19-BN (batch norm after each convolution).
        head: ``vgg`` (VGG's fully connected layers) or ``gap`` (global average pooling + linear), see
            :mod:`seraug.classifier.vgg`.
        dropout: dropout probability in the fully connected head.
        epochs: maximum number of passes over the training set.
        batch_size: segments per optimiser step, over all processes together.
        lr: AdamW learning rate (the peak rate under the ``onecycle`` schedule). The paper does not
            give the classifier's optimiser; see :mod:`seraug.experiment` for the presets' choices.
        weight_decay: AdamW's decoupled weight decay (0 = plain Adam).
        schedule: ``constant`` (the rate ``lr`` throughout) or ``onecycle`` (PyTorch's ``OneCycleLR``
            over ``epochs`` epochs: a cosine warm-up from ``lr / 25`` to ``lr`` over the first
            ``warmup`` share of the steps, then a cosine decay to about 0, momentum cycled
            inversely). With ``onecycle`` the last epochs run at a small rate, which settles the
            weights; early stopping still keeps the best validation epoch.
        warmup: share of the steps that warm up under ``onecycle`` (OneCycleLR's ``pct_start``).
        label_smoothing: share of each target's probability spread evenly over all classes in the
            cross-entropy (``torch.nn.functional.cross_entropy``'s ``label_smoothing``; 0 = plain
            one-hot targets). It regularises the loss, not the data: every strategy's training set
            is seen as it is.
        select: which weights :func:`fit` returns: ``best`` (the epoch with the highest validation UAR,
            stopping after ``patience`` epochs without a higher one) or ``last`` (the final epoch's; no
            early stopping, the validation UAR is only recorded). ``last`` suits ``onecycle``, whose
            final epochs run at a rate near 0: measured on EmoDB, a single validation speaker's best
            epoch was often a mid-schedule one that tested far worse on the test speakers.
        patience: with ``select="best"``, stop after this many epochs without a higher validation UAR.
        average_epochs: with ``select="last"``, the model returned is the average of the weights at the
            end of each of the last N epochs (stochastic weight averaging, Izmailov et al. 2018, with
            ``torch.optim.swa_utils``), its batch-norm statistics recomputed on the training segments;
            0 keeps the last epoch's weights. The last epoch's validation scores are those of the average.
        seed: seeds the initial weights, the shuffling and dropout.
        device: ``"auto"`` (CUDA if available), ``"cpu"``, ``"cuda"``, ``"cuda:1"``... Under torchrun
            with CUDA each rank uses ``cuda:LOCAL_RANK``.
        amp: bf16 autocast where the hardware runs bf16 natively (:func:`seraug.runtime.bf16_available`:
            a bf16 GPU, or a CPU with AMX / AVX512-BF16); fp32 elsewhere or with ``amp=False``.
        channels_last: channels-last memory layout of the model (faster on CUDA tensor cores and with
            oneDNN on the CPU, where bf16 convolutions need it to reach AMX; ``benchmarks/classifier.py``).
        compile: ``torch.compile`` the training model (first steps slower while it compiles).
        sync_batchnorm: SyncBatchNorm across ranks under torchrun (CUDA only; see the module docstring).
        eval_batch_size: segments per forward pass when validating.
    """

    width: float = 1.0
    batch_norm: bool = True
    head: str = "vgg"
    dropout: float = 0.5
    epochs: int = 50
    batch_size: int = 64
    lr: float = 1e-4
    weight_decay: float = 0.0
    schedule: str = "constant"
    warmup: float = 0.3
    label_smoothing: float = 0.0
    select: str = "best"
    patience: int = 10
    average_epochs: int = 0
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    channels_last: bool = True
    compile: bool = False
    sync_batchnorm: bool = True
    eval_batch_size: int = 256

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "patience", "eval_batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"TrainConfig.{name} must be at least 1, got {getattr(self, name)}")
        if not self.width > 0:
            raise ConfigError(f"TrainConfig.width must be positive, got {self.width}")
        if self.lr < 0 or self.weight_decay < 0:
            raise ConfigError(f"TrainConfig.lr and weight_decay must be non-negative, got {self.lr}, {self.weight_decay}")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"TrainConfig.dropout must be in [0, 1), got {self.dropout}")
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"TrainConfig.schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if self.select not in ("best", "last"):
            raise ConfigError(f"TrainConfig.select must be best or last, got {self.select!r}")
        if not 0 <= self.average_epochs <= self.epochs:
            raise ConfigError(f"TrainConfig.average_epochs must be in [0, epochs={self.epochs}], "
                              f"got {self.average_epochs}")
        if self.average_epochs and self.select != "last":
            raise ConfigError("TrainConfig.average_epochs needs select='last' (an average is not one epoch to pick)")
        if not 0 <= self.label_smoothing < 1:
            raise ConfigError(f"TrainConfig.label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if not 0 < self.warmup < 1:
            raise ConfigError(f"TrainConfig.warmup must be in (0, 1), got {self.warmup}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """Rebuild from :meth:`to_dict` output; unknown keys are an error (a typo would be silently ignored)."""
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown TrainConfig field(s): {', '.join(sorted(unknown))}")
        return cls(**d)
