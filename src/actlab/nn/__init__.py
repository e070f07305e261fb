"""The NumPy network engine: dense layers, losses, optimisers and training.

The phases of a training step are separate functions, so every value can be
looked at between them:

>>> import numpy as np
>>> from actlab import nn
>>> net = nn.Network.build([2, 8, 8, 1], hidden="tanh", seed=0)
>>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
>>> y = np.array([0, 1, 1, 0])
>>> trace = nn.forward(net, X)
>>> grads = nn.backward(net, trace, y, "bce")
>>> nn.update(nn.Adam(learning_rate=0.01), net, grads)
>>> [z.shape for z in trace.z]
[(4, 8), (4, 8), (4, 1)]
"""

from ._fast import Trainer
from ._init import initialise, initialiser_names, resolve_initialiser
from ._layers import Dense, Network, resolve_activation
from ._losses import (
    BinaryCrossEntropy,
    Loss,
    MeanSquaredError,
    SoftmaxCrossEntropy,
    get_loss,
    loss_names,
    r2_score,
)
from ._optim import SGD, Adam, Optimiser, Penalty, get_optimiser, optimiser_names
from ._phases import Gradients, Trace, backward, forward, prepare_targets, step, update
from ._population import Population, PopulationTrainer
from ._population_train import MemberHistory, train_population
from ._train import (
    SINGLE_THREAD_MAX_WIDTH,
    STATS_MAX_EXAMPLES,
    EpochRecord,
    History,
    evaluate,
    train,
)

__all__ = [
    "SGD",
    "SINGLE_THREAD_MAX_WIDTH",
    "STATS_MAX_EXAMPLES",
    "Adam",
    "BinaryCrossEntropy",
    "Dense",
    "EpochRecord",
    "Gradients",
    "History",
    "Loss",
    "MeanSquaredError",
    "MemberHistory",
    "Network",
    "Optimiser",
    "Penalty",
    "Population",
    "PopulationTrainer",
    "SoftmaxCrossEntropy",
    "Trace",
    "Trainer",
    "backward",
    "evaluate",
    "forward",
    "get_loss",
    "get_optimiser",
    "initialise",
    "initialiser_names",
    "loss_names",
    "optimiser_names",
    "prepare_targets",
    "r2_score",
    "resolve_activation",
    "resolve_initialiser",
    "step",
    "train",
    "train_population",
    "update",
]
