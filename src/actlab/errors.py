"""The warning class and the exceptions that actlab raises beyond ``ValueError``."""

from __future__ import annotations

from typing import Any

__all__ = ["ActlabError", "ActlabWarning", "TrainingDivergedError"]


class ActlabWarning(UserWarning):
    """A warning from actlab: the request ran, but probably not as intended."""


class ActlabError(Exception):
    """Base class of the exceptions that actlab raises beyond ``ValueError``."""


class TrainingDivergedError(ActlabError, ArithmeticError):
    """A training run whose loss became NaN or infinite.

    Raised by ``actlab.nn.train`` after it has restored the network's weights to
    the last step with a finite loss.

    Attributes
    ----------
    epoch, batch, step : int
        Where the loss stopped being finite: the epoch (from 1), the batch within
        that epoch (from 1) and the optimiser step counted over the whole run
        (from 1).
    loss : float
        The non-finite loss value (``nan``, ``inf`` or ``-inf``).
    cause : str
        The likely cause and what to try, in one or two sentences.
    history : History or None
        The ``actlab.nn.History`` of the epochs completed before the failure,
        or ``None`` when the initial network already has a non-finite loss.
    """

    def __init__(
        self,
        message: str,
        *,
        epoch: int,
        batch: int,
        step: int,
        loss: float,
        cause: str,
        history: Any = None,
    ):
        super().__init__(message)
        self.epoch = epoch
        self.batch = batch
        self.step = step
        self.loss = loss
        self.cause = cause
        self.history = history
