"""Hyperparameters of the GAN as plain data (no torch import, so the CLI can build its flags cheaply).

Every field becomes a ``seraug gan train`` flag (``ae_lr`` -> ``--ae-lr``) with the help text in its
metadata. Values the paper states are marked "paper"; the others are ours and say why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from seraug.errors import ConfigError

ARCHS = ("proposed", "bagan")
G_OUTPUTS = ("image", "source_filter")
"""G's last layer (``GANConfig.g_output``): the paper's convolution to the image, or :mod:`seraug.gan.source_filter`."""
"""``proposed``: the paper's Fig. 1 network (Sections 2.2-2.4). ``bagan``: the original BAGAN of
Mariani et al. (2018) that the paper's Fig. 2a compares against (what it keeps and where it deviates:
:mod:`seraug.gan.models`)."""

GAN_LR = {"proposed": 1e-6, "bagan": 5e-5}
"""Fine-tuning learning rate per architecture when ``gan_lr`` is not given: the paper's 1e-6
(Section 2.3) for the proposed model; BAGAN's public code uses its single Adam rate 5e-5 for the
autoencoder and the GAN alike."""


TEXTURE_WEIGHT = 10.0
"""The ``ae_texture_weight`` of the ``gan_texture`` strategy: of 5, 10, 15, 20 and 30 the weights whose
autoencoders kept the most striation energy in ``benchmarks/gan_autoencoder.py`` were 10 and 15 (0.31 and 0.32
of real at 20 epochs, against 0.13 without the term; 5, 20 and 30 kept 0.25, 0.26 and 0.18)."""

G_TEXTURE_WEIGHT = 1000.0
"""The ``gan_texture_weight`` of the ``gan_texture_fm`` strategy, set by scale rather than a sweep: real
segments blurred by one mel band differ from other real segments by about 5e-4 in the term's squared
difference, so at 1000 the term is then about a third of G's cross-entropy. In ``benchmarks/gan_quality.py``
(``+g-texture-1000``) it lifted the striation ratio from 0.63 to 0.72 of real."""

G_RHYTHM_WEIGHT = 100.0
"""A ``gan_rhythm_weight`` set by the same scale as :data:`G_TEXTURE_WEIGHT`: real segments smeared in time by one
frame (a Gaussian of 25 ms) differ from other real segments by about 5e-3 in the rhythm term's squared
difference, ten times the texture term's one-band blur, so a tenth of the weight makes it a comparable part of
G's loss."""

G_GLIDE_WEIGHT = 300.0
"""A ``gan_glide_weight`` set by the same scale as :data:`G_TEXTURE_WEIGHT`: real segments whose fine structure is
held level for 0.8 s (what G draws) differ from the real ones by about 1.7e-3 in the glide term's squared
difference, so at 300 the term is then about a third of G's cross-entropy."""

G_LEVEL_WEIGHT = 100.0
"""A ``gan_level_weight`` set by scale: two batches of real EmoDB segments differ by about 8e-4 in the level term's
mean squared difference, the source-filter G's fakes (which fill the pauses) from real ones by about 9e-3, so at 100
that gap costs about 0.9 and the batches' own spread under a tenth of that."""

AE_PITCH_WEIGHT = 1.0
"""The ``ae_pitch_weight`` of the ``gan_source_filter`` strategy, set by scale: a contour a semitone off in every
voiced frame then costs about 0.007, a fifth of the autoencoder's mean squared error at the end of its training
(0.03-0.04), and one an octave off 1, far above it: octave errors are what the term must rule out."""

SAMPLING_FIELDS = ("sample_spread", "sample_best_of")
"""Fields that act only when drawing samples, not in training: a trained model can be sampled with others
(``dataclasses.replace(model, config=replace(model.config, sample_best_of=4))``)."""

LATER_FIELDS = {"ae_texture_weight": 0.0, "gan_texture_weight": 0.0, "gan_rhythm_weight": 0.0, "gan_glide_weight": 0.0,
                "gan_level_weight": 0.0, "g_output": "image", "ae_pitch_weight": 0.0, "sample_spread": 1.0,
                "sample_best_of": 1}
"""Fields added after run folders were written, each with the value that behaves as before it existed.
:func:`seraug.experiment.settings_hash` leaves a field out at that value, so those folders' finished
cells still match new runs of the same settings, and :mod:`seraug.gan.train` resumes their checkpoints."""


def without_later_fields(config: dict) -> dict:
    """A GAN config's dict without the :data:`LATER_FIELDS` at their neutral values: as a config written before
    those fields existed reads, so the two compare equal."""
    return {k: v for k, v in config.items() if not (k in LATER_FIELDS and v == LATER_FIELDS[k])}


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
    g_output: str = field(default="image", metadata=_doc(
        "G's last layer (proposed arch): image (the paper: a 3x3 convolution to one channel and tanh) or "
        "source_filter (ours: a pitch contour whose harmonics, through smooth harmonic and noise envelopes, make "
        "the segment; seraug.gan.source_filter), so the striations follow the pitch as in speech"))
    ae_pitch_weight: float = field(default=0.0, metadata=_doc(
        "with --g-output source_filter: weight of a pitch term in the autoencoder's loss, the squared error in "
        "octaves between G's pitch contour and the pitch read off the real segment it reconstructs "
        "(seraug.gan.source_filter.mel_pitch), in voiced frames; so the code carries the pitch contour (0 = off)"))
    gan_epochs: int = field(default=50, metadata=_doc("epochs of step (c), GAN fine-tuning (not stated)"))
    gan_lr: float | None = field(default=None, metadata=_doc(
        "Adam learning rate of G and D in fine-tuning; default per arch: proposed 1e-6 (paper), bagan 5e-5 "
        "(BAGAN's code)"))
    gan_texture_weight: float = field(default=0.0, metadata=_doc(
        "weight of a texture term in G's fine-tuning loss: the squared difference between the mean mel-axis "
        "modulation magnitudes (seraug.gan.steps.texture_profile, per region of the mel axis) of its fakes and of "
        "the real batch, i.e. feature matching on fixed texture features. D alone let G draw the striations "
        "fainter than real ones; this asks for as much fine structure as real speech has (0 = off, the paper)"))
    gan_rhythm_weight: float = field(default=0.0, metadata=_doc(
        "weight of a rhythm term in G's fine-tuning loss: as --gan-texture-weight, on the mean time-axis modulation "
        "magnitudes per region of 16 mel bands (seraug.gan.steps.rhythm_profile): asks for as much rise and fall of "
        "level (onsets, pauses, syllables) as real speech has, where G's segments smear it (0 = off, the paper)"))
    gan_glide_weight: float = field(default=0.0, metadata=_doc(
        "weight of a glide term in G's fine-tuning loss: as --gan-texture-weight, on the 2-D modulation magnitudes "
        "of 32-band x 32-frame tiles (seraug.gan.steps.glide_profile): asks for striations that tilt as real "
        "pitch contours do, where G holds its stripes level (0 = off, the paper)"))
    gan_level_weight: float = field(default=0.0, metadata=_doc(
        "weight of a level term in G's fine-tuning loss: the mean squared difference between the quantiles of the frame "
        "levels (mean over the bands; seraug.gan.steps.level_profile) of its fakes and of the real batch: asks for "
        "as many silent, quiet and loud frames as real speech has, where the source-filter G fills the pauses "
        "(0 = off, the paper)"))
    sample_spread: float = field(default=1.0, metadata=_doc(
        "spread of the class normals the samples' codes are drawn from, as a multiple of the fitted one (1 = the "
        "paper's draws; below 1 the codes keep nearer their class's mean, trading diversity for samples that carry "
        "their class, as Glow's reduced temperature and BigGAN's truncation do). Sampling only: fine-tuning "
        "draws at the fitted spread, so a trained model can be sampled at any spread"))
    sample_best_of: int = field(default=1, metadata=_doc(
        "draw N codes per sample and keep the segment D rates most likely a real one of its class (column k of "
        "its K+1-way log-softmax; 1 = every draw kept, the paper). Sampling only, like --sample-spread: D, which "
        "learnt the emotions from the real segments, sets aside draws that wandered into another emotion, for N "
        "times the decoding"))
    d_lr_scale: float = field(default=1.0, metadata=_doc(
        "D's fine-tuning learning rate as a multiple of G's (the two time-scale update rule of Heusel et al. "
        "2017); 1 = the paper's single rate. A D that learns the emotions faster gives G a class signal sooner"))
    g_ema: float = field(default=0.0, metadata=_doc(
        "decay per fine-tuning step of an exponential moving average of G's weights, which then is the G that "
        "generates (0 = off: G's last weights, as in the paper). G's weights swing from epoch to epoch in a short "
        "fine-tuning; their average draws steadier samples (Yazici et al. 2019)"))
    balanced_real: bool = field(default=False, metadata=_doc(
        "fine-tuning draws the real batches class-balanced (every class equally likely, with replacement) instead "
        "of shuffling all segments (the paper). D then learns a rare class from as many real segments as a common "
        "one, and G's fakes of that class, drawn as often as the others, meet a D that knows it"))
    r1_gamma: float = field(default=0.0, metadata=_doc(
        "weight of an R1 gradient penalty on D's real batches (Mescheder et al. 2018): gamma/2 times the squared "
        "norm of the gradient, over the segment, of D's log-odds of real against fake (0 = off, the paper). It "
        "keeps D smooth around the real segments, so its gradients lead G towards them rather than away from D's "
        "last mistakes"))
    beta1: float = field(default=0.5, metadata=_doc("Adam beta1 (BAGAN's 0.5)"))
    beta2: float = field(default=0.999, metadata=_doc("Adam beta2"))
    max_recoveries: int = field(default=2, metadata=_doc(
        "on non-finite losses or mode collapse: reload the last good checkpoint and halve the learning rate, "
        "at most this many times in each step (autoencoder, fine-tuning); then stop with an error (0: stop at once)"))
    collapse_ratio: float = field(default=0.1, metadata=_doc(
        "mode collapse = the mean pairwise distance of a class's generated segments fell below this fraction of "
        "that of its real training segments. A G that ignores its code gives about 0; on EmoDB at width 1/16 "
        "after 4+2 epochs the proposed model's classes gave 0.29-0.68 (see seraug.gan.train)"))
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
        for name in ("width", "ae_lr", "d_lr_scale", "collapse_ratio", "sample_spread"):
            if not getattr(self, name) > 0:
                raise bad(name, "must be positive")
        if self.gan_lr is not None and not self.gan_lr > 0:
            raise bad("gan_lr", "must be positive (or None for the arch's default)")
        if self.g_output not in G_OUTPUTS:
            raise bad("g_output", f"must be one of {', '.join(G_OUTPUTS)}")
        if self.g_output != "image" and self.arch != "proposed":
            raise bad("g_output", "only the proposed arch has another output layer; bagan keeps its own")
        if self.ae_pitch_weight and self.g_output != "source_filter":
            raise bad("ae_pitch_weight", "needs g_output='source_filter' (only that G draws a pitch contour)")
        for name in ("latent_dim", "hidden", "sample_best_of"):
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
        for name in ("leaky_slope", "r1_gamma", "ae_texture_weight", "gan_texture_weight", "gan_rhythm_weight",
                     "gan_glide_weight", "gan_level_weight", "ae_pitch_weight"):
            if getattr(self, name) < 0:
                raise bad(name, "must not be negative")

    @property
    def fine_tuning_lr(self) -> float:
        """``gan_lr``, or the arch's default from :data:`GAN_LR` when it is None."""
        return self.gan_lr if self.gan_lr is not None else GAN_LR[self.arch]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "GANConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"unknown GANConfig fields {sorted(unknown)}")
        return cls(**d)
