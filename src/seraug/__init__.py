"""seraug: class balancing for speech emotion recognition.

The pipeline of Chatziagapi et al. (Interspeech 2019): corpora -> manifest -> folds -> log-mel segments
-> signal augmentation or a class-conditional GAN -> VGG19 evaluation with utterance-level voting.
"""

__version__ = "0.1.0"
