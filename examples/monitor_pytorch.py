"""Train a PyTorch MLP on scikit-learn's digits with actlab's monitor attached.

With ``--dead-relus`` the first layer's biases start at -4, so most of its
ReLUs output 0 on every example, and the monitor warns about the layer.
With ``--functional`` the network calls ``F.relu`` in its ``forward`` in place
of ``nn.ReLU`` modules, and the monitor names each call site, such as
``FunctionalMLP:relu``. With ``--database-url`` the run is logged for the
lab's Monitor page::

    python examples/monitor_pytorch.py --dead-relus --database-url sqlite:///runs.db
    actlab serve --database-url sqlite:///runs.db    # then open /monitor

Needs PyTorch: ``pip install 'actlab[torch]'``.
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler
from torch import nn

from actlab.monitor import Monitor
from actlab.store import StoreError

DEAD_BIAS = -4.0


class FunctionalMLP(nn.Module):
    """A 64-64-64-10 network that calls ``F.relu`` in ``forward``."""

    def __init__(self):
        super().__init__()
        self.hidden1 = nn.Linear(64, 64)
        self.hidden2 = nn.Linear(64, 64)
        self.output = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.hidden1(x))
        x = F.relu(self.hidden2(x))
        return self.output(x)


def build_model(dead_relus: bool, functional: bool) -> nn.Module:
    """Return a 64-64-64-10 ReLU network, with dying first-layer ReLUs if asked."""
    if functional:
        model = FunctionalMLP()
        first = model.hidden1
    else:
        model = nn.Sequential(
            nn.Linear(64, 64),
            nn.ReLU(),
            nn.Linear(64, 64),
            nn.ReLU(),
            nn.Linear(64, 10),
        )
        first = model[0]
    if dead_relus:
        with torch.no_grad():
            first.bias.fill_(DEAD_BIAS)
    return model


def train(model: nn.Module, monitor: Monitor, epochs: int, batch_size: int) -> float:
    """Train with SGD on the digits and return the last batch's loss."""
    features, labels = load_digits(return_X_y=True)
    # Standardised pixels: with inputs that are all >= 0, a unit whose weights
    # are mostly negative sits at z <= 0 for a whole batch from the start.
    features = StandardScaler().fit_transform(features)
    x = torch.tensor(features, dtype=torch.float32)
    y = torch.tensor(labels)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    loss = torch.tensor(float("nan"))
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            monitor.step(loss)
    return loss.item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="log the run to this database, such as sqlite:///runs.db "
        "(default: keep the records in memory only)",
    )
    parser.add_argument("--run", help="the run's name (default: model name and time)")
    parser.add_argument(
        "--dead-relus",
        action="store_true",
        help=f"start the first layer's biases at {DEAD_BIAS:g} so its ReLUs die",
    )
    parser.add_argument(
        "--functional",
        action="store_true",
        help="call F.relu in forward instead of using nn.ReLU modules",
    )
    parser.add_argument("--epochs", type=int, default=5, help="passes over the data")
    parser.add_argument("--batch-size", type=int, default=64, help="examples per step")
    parser.add_argument("--seed", type=int, default=0, help="seed of torch's RNG")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    model = build_model(args.dead_relus, args.functional)
    try:
        monitor = Monitor(model, run=args.run, store=args.database_url).attach()
    except (ValueError, StoreError) as error:
        parser.error(str(error))
    with monitor:
        loss = train(model, monitor, args.epochs, args.batch_size)
    print(monitor.summary())
    print(f"\nlast batch loss: {loss:.4f}")
    if args.database_url:
        print(f"logged as run {monitor.run!r}")


if __name__ == "__main__":
    main()
