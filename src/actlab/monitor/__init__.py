"""A training monitor for PyTorch models: dead units, saturation, gradient norms.

Needs PyTorch (``pip install 'actlab[torch]'``), which the rest of actlab does not.

>>> import torch
>>> from torch import nn
>>> from actlab.monitor import Monitor
>>> _ = torch.manual_seed(0)
>>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
>>> with Monitor(model, run="demo") as monitor:
...     loss = model(torch.randn(16, 4)).pow(2).mean()
...     loss.backward()
...     record = monitor.step(loss)
>>> [layer["layer"] for layer in record["activations"]]
['1']
>>> [layer["layer"] for layer in record["weights"]]
['0', '2']

Functional activations in ``forward`` get a layer per call site, named after
the calling module and the function:

>>> import torch.nn.functional as F
>>> class Net(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.hidden = nn.Linear(4, 8)
...     def forward(self, x):
...         return torch.tanh(F.relu(self.hidden(x)))
>>> model = Net()
>>> with Monitor(model, run="functional") as monitor:
...     _ = model(torch.randn(16, 4))
...     record = monitor.step()
>>> [layer["layer"] for layer in record["activations"]]
['Net:relu', 'Net:tanh']

With ``store="sqlite:///runs.db"`` the records are logged to that database,
and ``actlab serve`` with the same database shows them at ``/monitor``.
"""

try:
    import torch  # noqa: F401
except ImportError as error:
    raise ImportError(
        "actlab.monitor needs PyTorch, which is not installed: "
        "run pip install 'actlab[torch]'"
    ) from error

from ._functions import MEAN_STD_FUNCTIONS, RECOGNISED_FUNCTIONS
from ._layers import MEAN_STD_ACTIVATIONS, RECOGNISED_ACTIVATIONS, WEIGHT_MODULES
from ._monitor import FLUSH_SECONDS, RECOVERY_SHARE, Monitor

__all__ = [
    "FLUSH_SECONDS",
    "MEAN_STD_ACTIVATIONS",
    "MEAN_STD_FUNCTIONS",
    "RECOGNISED_ACTIVATIONS",
    "RECOGNISED_FUNCTIONS",
    "RECOVERY_SHARE",
    "WEIGHT_MODULES",
    "Monitor",
]
