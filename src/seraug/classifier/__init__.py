"""The paper's evaluation classifier: VGG19 on 128x128 log-mel segments, utterance voting, UAR / F-score.

    from seraug.classifier import TrainConfig, fit, predict_proba, evaluate

    result = fit(X_train, y_train, X_val, y_val, val_utterances, n_classes=4, config=TrainConfig(epochs=30))
    metrics = evaluate(predict_proba(result.model, X_test), y_test, test_utterances)  # utterance-level UAR...
"""

from seraug.classifier.metrics import accuracy, confusion, evaluate, f_score, uar, utterance_labels, vote
from seraug.classifier.config import TrainConfig
from seraug.classifier.inference import embed, load_model, predict_proba, save_model
from seraug.classifier.reference import fit_or_load
from seraug.classifier.train import FitResult, fit
from seraug.classifier.vgg import VGG19
from seraug.runtime import Distributed, init_distributed  # where torchrun's process group is joined

__all__ = [
    "VGG19", "TrainConfig", "FitResult", "Distributed", "fit", "fit_or_load", "predict_proba", "embed", "save_model",
    "load_model",
    "init_distributed", "uar", "f_score", "accuracy", "confusion", "vote", "utterance_labels", "evaluate",
]
