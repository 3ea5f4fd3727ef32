"""The batch-norm page's sentences, written from the learning-rate experiment's outcomes."""

from __future__ import annotations

import numpy as np
import pytest

import nets
from viz.batchnorm import experiment_findings


def _fake_experiment(plain: list[str], bn: list[str], lrs=(0.1, 1.0, 10.0)) -> nets.LRExperiment:
    """Just enough of an experiment for the sentences: outcomes and accuracies."""
    def curves(outcomes):
        acc = np.array([{"trained": 0.99, "slow": 0.8, "stuck": 0.5, "diverged": np.nan}[o] for o in outcomes])
        return nets.TrainingCurves(None, None, None, acc, None, None, tuple(outcomes))
    return nets.LRExperiment(np.array(lrs), curves(plain), curves(bn), None, (2, 1), 32, 10)


@pytest.mark.parametrize("plain, bn, expected", [
    (["trained", "trained", "trained"], ["trained", "trained", "trained"],
     ["Both networks trained at η = 0.1, 1 and 10.", "Here BN did not raise the largest learning rate that trains "
      "(η = 10 for both)."]),
    (["trained", "trained", "stuck"], ["trained", "slow", "diverged"],
     ["Both networks trained at η = 0.1.", "**Only the plain network trained** at η = 1 (the one with BN slow, 80% "
      "accuracy).", "**Neither trained** at η = 10 (plain stuck at 50% accuracy, BN overflowed).",
      "Here the plain network tolerated a larger learning rate than the one with BN."]),
    (["stuck", "diverged", "diverged"], ["trained", "trained", "trained"],
     ["**Only the network with BN trained** at η = 0.1 (the plain one stuck at 50% accuracy), η = 1 (the plain one "
      "overflowed) and η = 10 (the plain one overflowed).", "So here BN raised the largest learning rate that trains "
      "from none of these to 10: higher (no larger η was tried)."]),
])
def test_the_findings_are_written_from_the_outcomes(plain, bn, expected):
    assert experiment_findings(_fake_experiment(plain, bn)) == expected
