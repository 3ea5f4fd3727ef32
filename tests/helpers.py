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
