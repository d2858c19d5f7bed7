"""The paper's experiments (Tables 2 and 3): balancing strategies compared by a VGG19, resumably.

A run is a grid of *cells* ``(scenario, fold, strategy, seed)``:

- scenario: ``natural`` (Table 3: the corpus as it is) or ``reduce-<label>`` (Table 2: 80% of that
  class removed, seeded, from the fold's training part; validation and test untouched);
- fold: a speaker-independent split from :mod:`seraug.experiment.folds`;
- strategy: how the training part is balanced (:data:`STRATEGIES`);
- seed: seeds the removal, the balancing and the training.

Every finished cell is written atomically to ``OUT/cells/<id>.json``; a re-run skips finished cells,
so an interrupted run resumes where it stopped, and ``--only`` picks cells so a grid can be spread over
machines (copy the ``cells/`` folders together and run ``--summary-only`` to merge). The folds do not
depend on the seed, so every strategy is compared with ``imbalanced`` on the same folds and seeds.
``--executor ray`` runs each cell as a task on a Ray cluster instead (``pip install 'seraug[ray]'``).

Modules: ``strategies`` (every strategy by name, torch-free), ``config`` (presets, options, the settings
results depend on), ``data`` (the corpus, folds and grid of cells), ``folds`` (speaker-independent folds and
Table 2's removal), ``balancing`` (the function behind each strategy), ``run`` (a cell, a grid, the executors),
``reuse`` (cells copied instead of trained again), ``statistics`` (means, paired comparisons, verdicts),
``report``, ``report_page`` and ``examples`` (a run's tables, figures, page and examples), ``results`` (pages
across runs: ``seraug results``), ``cli`` (the command line). Names are imported on first use, so checking a strategy name does not import torch.
"""

from __future__ import annotations

from seraug.lazy import lazy_exports

_EXPORTS = {
    "STRATEGIES": "strategies", "Strategy": "strategies", "RETIRED": "strategies", "IMPROVED_GAN": "strategies",
    "TrainingSet": "balancing", "training_set": "balancing", "write_examples": "examples",
    "balance_function": "balancing",
    "DEPRECATED_PRESETS": "config", "GRID_FIELDS": "config", "PRESETS": "config", "ExperimentConfig": "config",
    "Preset": "config", "full_config": "config", "library_versions": "config", "settings_hash": "config",
    "train_config": "config",
    "Cell": "data", "Data": "data",
    "EXECUTORS": "run", "run_cell": "run", "run_experiment": "run",
    "add_parser": "cli",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
