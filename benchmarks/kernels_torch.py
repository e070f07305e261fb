"""Throughput of the registry's activations against PyTorch's kernels.

Run by hand, not in the tests:

    .venv/bin/python benchmarks/kernels_torch.py [--sizes 1000000 10000000]

For each registry entry it times, on the same float32 array of uniform values
in [-6, 6] (shared with PyTorch through ``torch.from_numpy``):

- the value: ``act(z)`` against PyTorch's function (``torch.sigmoid``,
  ``torch.nn.functional.elu``, ...), both returning a new array;
- the derivative: ``act.derivative(z)``, which returns g'(z), against
  PyTorch's backward kernel (``torch.ops.aten.elu_backward`` and kin) with an
  incoming gradient of ones, which returns 1 * g'(z). PyTorch's tanh and
  sigmoid kernels take the output, computed beforehand and not timed.

It also times ``1 - a**2`` and ``a > 0``, the output-based slopes that
``nn.Trainer`` uses for tanh and ReLU. Rates are in elements per second,
beside ``np.copyto`` and ``Tensor.copy_`` into a preallocated array.
BLAS and PyTorch run on one thread; each figure is the best of
``--repeats`` calls. Softmax runs on rows of 10 values.
"""

from __future__ import annotations

import argparse
import functools
import time

import numpy as np
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits

from actlab import activations
from actlab.nn import _fast
from training import machine_line

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805
aten = torch.ops.aten

# PyTorch's value function per registry entry, at the registry's defaults.
TORCH_VALUES = {
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "linear": torch.clone,
    "tanh": torch.tanh,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "log_sigmoid": F.logsigmoid,
    "leaky_relu": functools.partial(F.leaky_relu, negative_slope=0.01),
    "elu": F.elu,
    "selu": F.selu,
    "celu": F.celu,
    "silu": F.silu,
    "gelu": F.gelu,
    "mish": F.mish,
    "relu6": F.relu6,
    "hard_sigmoid": F.hardsigmoid,
    "hard_swish": F.hardswish,
    "hard_tanh": F.hardtanh,
    "softmax": functools.partial(torch.softmax, dim=-1),
}


def torch_derivatives(z: torch.Tensor) -> dict:
    """Return PyTorch's backward kernel per entry, as a function of no arguments.

    Each computes ones * g'(z). Entries without a backward kernel of their
    own (linear, softsign, softmax) are missing.
    """
    ones = torch.ones_like(z)
    tanh_out, sigmoid_out = torch.tanh(z), torch.sigmoid(z)
    _, log_sigmoid_buffer = aten.log_sigmoid_forward(z)
    kernels = {
        "sigmoid": lambda: aten.sigmoid_backward(ones, sigmoid_out),
        "relu": lambda: aten.threshold_backward(ones, z, 0.0),
        "tanh": lambda: aten.tanh_backward(ones, tanh_out),
        "softplus": lambda: aten.softplus_backward(ones, z, 1.0, 20.0),
        "log_sigmoid": lambda: aten.log_sigmoid_backward(ones, z, log_sigmoid_buffer),
        "leaky_relu": lambda: aten.leaky_relu_backward(ones, z, 0.01, False),
        "elu": lambda: aten.elu_backward(ones, 1.0, 1.0, 1.0, False, z),
        "selu": lambda: aten.elu_backward(ones, SELU_ALPHA, SELU_SCALE, 1.0, False, z),
        "celu": lambda: aten.elu_backward(ones, 1.0, 1.0, 1.0, False, z),
        "silu": lambda: aten.silu_backward(ones, z),
        "gelu": lambda: aten.gelu_backward(ones, z),
        "mish": lambda: aten.mish_backward(ones, z),
        "relu6": lambda: aten.hardtanh_backward(ones, z, 0.0, 6.0),
        "hard_sigmoid": lambda: aten.hardsigmoid_backward(ones, z),
        "hard_swish": lambda: aten.hardswish_backward(ones, z),
        "hard_tanh": lambda: aten.hardtanh_backward(ones, z, -1.0, 1.0),
    }
    return kernels


def best_seconds(function, repeats: int) -> float:
    """Return the fastest of ``repeats`` timed calls of ``function``."""
    function()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def measure(size: int, repeats: int) -> tuple[dict, list[tuple]]:
    """Return the copy rates and, per entry, the four rates in elements/s."""
    rng = np.random.default_rng(0)
    z = rng.uniform(-6.0, 6.0, size).astype(np.float32)
    target = np.empty_like(z)
    z_torch = torch.from_numpy(z)
    target_torch = torch.from_numpy(target)
    copies = {
        "numpy": size / best_seconds(lambda: np.copyto(target, z), repeats),
        "torch": size / best_seconds(lambda: target_torch.copy_(z_torch), repeats),
    }

    rows = []
    for name in activations.names():
        act = activations.get(name)
        shape = (-1, 10) if act.spec.vector else (-1,)
        inputs, inputs_torch = z.reshape(shape), z_torch.reshape(shape)
        kernels = torch_derivatives(inputs_torch)
        value = size / best_seconds(functools.partial(act, inputs), repeats)
        torch_value = functools.partial(TORCH_VALUES[name], inputs_torch)
        torch_rate = size / best_seconds(torch_value, repeats)
        slope = size / best_seconds(functools.partial(act.derivative, inputs), repeats)
        torch_slope = None
        if name in kernels:
            torch_slope = size / best_seconds(kernels[name], repeats)
        rows.append((name, value, torch_rate, slope, torch_slope))
    rows.extend(_output_slopes(z, size, repeats))
    return copies, rows


def _output_slopes(z: np.ndarray, size: int, repeats: int) -> list[tuple]:
    rows = []
    for name, slope in _fast.SLOPES_FROM_OUTPUT.items():
        output = activations.get(name)(z)
        out = np.empty_like(z)
        rate = size / best_seconds(functools.partial(slope, output, out), repeats)
        rows.append((f"{name}, from a", None, None, rate, None))
    return rows


def _cell(rate: float | None, width: int = 10) -> str:
    return f"{rate:>{width}.3g}" if rate is not None else f"{'-':>{width}}"


def _ratio(first: float | None, second: float | None) -> str:
    return _cell(first / second if first and second else None, 7)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10**6, 10**7])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    print(machine_line())
    print(f"float32 input, best of {args.repeats}, one thread")
    torch.set_num_threads(1)
    for size in args.sizes:
        with threadpool_limits(1), np.errstate(all="ignore"):
            copies, rows = measure(size, args.repeats)
        print(
            f"\n{size:,} elements; copy: numpy {copies['numpy']:.3g}, "
            f"torch {copies['torch']:.3g} elements/s"
        )
        header = ("activation", "g numpy", "g torch", "t/n", "g' numpy", "g' torch")
        print("{:<16} {:>10} {:>10} {:>7} {:>10} {:>10} {:>7}".format(*header, "t/n"))
        for name, value, torch_value, slope, torch_slope in rows:
            print(
                f"{name:<16} {_cell(value)} {_cell(torch_value)} "
                f"{_ratio(torch_value, value)} {_cell(slope)} {_cell(torch_slope)} "
                f"{_ratio(torch_slope, slope)}"
            )
    print(f"\n{machine_line()}")


if __name__ == "__main__":
    main()
