"""Numerical cores of the network and building-block pages: numpy forward and backward passes, no streamlit.

* ``nets.batchnorm``: Batch Normalization step by step (mean, variance, normalize with eps, gamma/beta), its
  backward pass, running averages and inference mode, and a seeded generator of activation batches.
* ``nets.toy``: two moons and spirals, an MLP with manual backpropagation, and the experiment that trains it
  with and without BatchNorm at several learning rates.
* ``nets.lstm``: the LSTM cell of the notes and a vanilla RNN, forward and backward through time;
  ``nets.gradient_flow``: gradient norms through time; ``nets.memory``: a memory task the LSTM learns and the
  RNN does not.
* ``nets.spatial``: the spatial transformer's affine grid generator and bilinear sampler with their backward
  passes, theta from rotation/scale/shear/translation and back; ``nets.stn_recovery``: recovering theta by
  gradient descent.

The building blocks, as modules of their own (``from nets import losses``): ``nets.losses`` (the notes' loss
functions with their derivatives, and their two slips), ``nets.activations`` (activations, derivatives,
softmax), ``nets.init`` (initializers from fan-in and fan-out, and the depth experiment), ``nets.dropout``
(keep probability, inverted dropout, active units) and ``nets.conv`` (one channel's convolution, forward and
backward).

Training loops use the project's optimizers (``optim.adam``); everything else needs numpy only.

    >>> from nets import batchnorm_forward, make_activations
    >>> y, steps = batchnorm_forward(make_activations(8, shift=3.0, scale=2.0, seed=0))
    >>> bool(abs(y.mean()) < 1e-12)
    True
"""

from .batchnorm import (
    BatchNormCache,
    BatchNormGrads,
    RunningStats,
    RunningTrace,
    batchnorm_backward,
    batchnorm_forward,
    batchnorm_inference,
    init_running_stats,
    make_activations,
    running_average_demo,
    update_running_stats,
)
from .gradient_flow import (
    GradientFlow,
    gradient_flow,
    lstm_state_jacobian_norms,
    rnn_state_jacobian_norms,
)
from .lstm import (
    GATES,
    LSTMCache,
    LSTMGrads,
    LSTMParams,
    RNNCache,
    RNNGrads,
    RNNParams,
    init_lstm,
    init_rnn,
    lstm_backward,
    lstm_forward,
    lstm_preactivations,
    lstm_step,
    rnn_backward,
    rnn_forward,
    to_torch_lstm_cell,
)
from .memory import (
    MEMORY_BUDGET,
    MemoryComparison,
    TaskCurves,
    lstm_vs_rnn,
    max_memory_steps,
    memory_task,
    train_memory_task,
)
from .spatial import (
    IDENTITY,
    AffineParams,
    affine_grid,
    affine_grid_backward,
    bilinear_taps,
    compose_theta,
    grid_sample,
    grid_sample_backward,
    invert_theta,
    load_digit,
    params_from_theta,
    theta_from_params,
    theta_translation,
    transform,
    transform_backward,
)
from .stn_recovery import (
    Recovery,
    gaussian_blur,
    recover_theta,
    recovery_demo,
)
from .toy import LRExperiment, TrainingCurves, bn_learning_rate_experiment, spirals, two_moons

__all__ = [
    "GATES", "IDENTITY", "MEMORY_BUDGET", "AffineParams", "BatchNormCache", "BatchNormGrads", "GradientFlow", "LRExperiment",
    "LSTMCache", "LSTMGrads", "LSTMParams", "MemoryComparison", "RNNCache", "RNNGrads", "RNNParams", "Recovery",
    "RunningStats", "RunningTrace", "TaskCurves", "TrainingCurves", "affine_grid", "affine_grid_backward",
    "batchnorm_backward", "batchnorm_forward", "batchnorm_inference", "bilinear_taps",
    "bn_learning_rate_experiment",
    "compose_theta", "gaussian_blur", "gradient_flow", "grid_sample", "grid_sample_backward", "init_lstm",
    "init_rnn", "init_running_stats", "invert_theta", "load_digit", "lstm_backward", "lstm_forward",
    "lstm_preactivations", "lstm_state_jacobian_norms", "lstm_step", "lstm_vs_rnn", "make_activations",
    "max_memory_steps", "memory_task",
    "params_from_theta", "recover_theta", "recovery_demo", "rnn_backward", "rnn_forward",
    "rnn_state_jacobian_norms", "running_average_demo", "spirals", "theta_from_params", "theta_translation",
    "to_torch_lstm_cell", "train_memory_task", "transform", "transform_backward", "two_moons",
    "update_running_stats",
]
