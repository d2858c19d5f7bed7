"""The evaluation VGG19's training recipe at each preset's size (plain data, no torch import).

``smoke``: minutes on 2 CPU cores, numbers that say little (tests, a first look); ``cpu``: the recipe whose
tables can be trusted on 2 CPU cores (width 1/8, global-average-pooling head, one-cycle schedule, label
smoothing, the last of 20 epochs; how it was chosen: ``docs/classifier.md``); ``paper``: the paper's
full-width VGG19, for a GPU.
"""

from __future__ import annotations

from seraug.classifier.config import TrainConfig

CLASSIFIER_PRESETS: dict[str, TrainConfig] = {
    "smoke": TrainConfig(width=1 / 16, epochs=12, patience=5, batch_size=32, lr=1e-3),
    "cpu": TrainConfig(width=1 / 8, head="gap", dropout=0.3, epochs=20, batch_size=32, lr=3e-3, weight_decay=0.05,
                       schedule="onecycle", select="last", label_smoothing=0.1),
    "paper": TrainConfig(width=1.0, epochs=60, patience=10, batch_size=64, lr=1e-4),
}
