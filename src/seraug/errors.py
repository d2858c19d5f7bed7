"""The errors seraug raises on purpose: each one is a problem with the user's input or run, stated in
one line that names the file or option and says what is wrong. ``seraug``'s ``main`` prints them (and
the operating system's own errors) as ``seraug COMMAND: error: ...`` and exits with code 2; anything
else is a bug and keeps its traceback.

All subclass :class:`ValueError`, so code written against the plain ``ValueError`` of earlier
versions still catches them."""

from __future__ import annotations


class SeraugError(ValueError):
    """Base of every error seraug raises about its input: catch this one to catch them all."""


class ConfigError(SeraugError):
    """An option or config value that cannot work (a width out of range, an unknown strategy, folds
    that leave a class out of training); the message names the option."""


class DataError(SeraugError):
    """Arrays handed to seraug that do not fit what they should hold (shape, dtype, labels, NaNs)."""


class AugmentError(SeraugError):
    """Bad input to augmentation: an argument, strategy, plan or class that cannot work as given."""


class NoiseError(AugmentError):
    """A noise folder or clip that cannot serve as background noise; the message names it."""


class TrainingDivergedError(SeraugError, RuntimeError):
    """Training went bad (non-finite losses, a collapsed generator) and the allowed recoveries are
    used up; the last good checkpoint stays on disk."""
