"""Small helpers shared by the test modules."""

from __future__ import annotations

import os

import numpy as np
import pytest


def require_torch(purpose: str, *, module_level: bool = False):
    """PyTorch, the test-only reference; skip with a reason where it is missing, but fail under ``CI=1``."""
    try:
        import torch
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but PyTorch is not installed: {purpose} must run in CI "
                        "(install the 'torch' extra: pip install '.[torch]')", pytrace=False)
        pytest.skip(f"PyTorch is not installed (pip install '.[torch]'): skipping {purpose}",
                    allow_module_level=module_level)
    torch.set_num_threads(1)  # tiny tensors: worker threads would only compete with numpy on small machines
    return torch


def numeric_grad(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to every entry of ``x`` (perturbed in place)."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        fp = f()
        x[idx] = old - h
        fm = f()
        x[idx] = old
        g[idx] = (fp - fm) / (2 * h)
    return g


def torch_optimizer(torch, name: str, param, hp: dict):
    """The torch.optim counterpart of our optimizer ``name`` under the pytorch convention, on the tensor ``param``."""
    if name in ("gd", "sgd"):
        return torch.optim.SGD([param], lr=hp["lr"])
    if name == "momentum":
        return torch.optim.SGD([param], lr=hp["lr"], momentum=hp["beta"], dampening=0.0)
    if name == "nesterov":
        return torch.optim.SGD([param], lr=hp["lr"], momentum=hp["beta"], dampening=0.0, nesterov=True)
    if name == "adagrad":
        return torch.optim.Adagrad([param], lr=hp["lr"], eps=hp["eps"], lr_decay=0.0, initial_accumulator_value=0.0)
    if name == "rmsprop":
        return torch.optim.RMSprop([param], lr=hp["lr"], alpha=hp["rho"], eps=hp["eps"], momentum=0.0,
                                   centered=False)
    if name == "adadelta":
        return torch.optim.Adadelta([param], lr=hp["lr"], rho=hp["rho"], eps=hp["eps"])
    if name == "adam":
        return torch.optim.Adam([param], lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"], amsgrad=False)
    raise AssertionError(name)
