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
``--executor ray`` runs each cell as a task on a Ray cluster instead (``pip install 'seraug[ray]'``).

Modules: ``config`` (presets, options, the settings results depend on), ``data`` (the corpus, folds and
grid of cells), ``balancing`` (one balancer per strategy name), ``run`` (a cell, a grid, the executors),
``cli`` (the command line).
"""

from seraug.experiment.balancing import BALANCERS, Balancer, TrainingSet, training_set, write_examples
from seraug.experiment.cli import add_parser
from seraug.experiment.config import (
    DEPRECATED_PRESETS,
    GRID_FIELDS,
    PRESETS,
    ExperimentConfig,
    Preset,
    full_config,
    library_versions,
    settings_hash,
    train_config,
)
from seraug.experiment.data import Cell, Data
from seraug.experiment.run import EXECUTORS, run_cell, run_experiment

STRATEGIES = tuple(BALANCERS)
"""Every strategy name (see :mod:`seraug.experiment.balancing`)."""

__all__ = ["BALANCERS", "DEPRECATED_PRESETS", "EXECUTORS", "GRID_FIELDS", "PRESETS", "STRATEGIES", "Balancer",
           "Cell", "Data", "ExperimentConfig", "Preset", "TrainingSet", "add_parser", "full_config",
           "library_versions", "run_cell", "run_experiment", "settings_hash", "train_config", "training_set",
           "write_examples"]
