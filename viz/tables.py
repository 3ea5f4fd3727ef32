"""Iteration tables as pandas DataFrames, with the display formats of ``viz.style``."""

from __future__ import annotations

import pandas as pd

from optim.table import Table, to_csv
from optim.trajectory import describe_outcome

from .style import number_format


def frame(table: Table) -> pd.DataFrame:
    """The table as a DataFrame; the iteration column is an integer column."""
    df = pd.DataFrame(table.data, columns=list(table.columns))
    df["iteration"] = df["iteration"].astype(int)
    return df


def formats(df: pd.DataFrame) -> dict[str, str]:
    """printf display format per numeric column (the page shows 5 decimals; the CSV keeps full precision)."""
    return {c: number_format(df[c].to_numpy()) for c in df.columns
            if c != "iteration" and pd.api.types.is_float_dtype(df[c])}


def csv_bytes(table: Table) -> bytes:
    return to_csv(table).encode()


def stationary_frame(surface) -> pd.DataFrame:
    """The critical points of a 1-D surface: w, f(w), f''(w) and the kind its sign decides."""
    pts = surface.stationary
    return pd.DataFrame({
        "w": [p.point[0] for p in pts],
        "f(w)": [p.value for p in pts],
        "f''(w)": [float(surface.hess([p.point[0]])[0, 0]) for p in pts],
        "kind": [p.label for p in pts],
    })


def endpoints_frame(surface, starts, finals, statuses, events, steps: int, by, *, atol: float = 1e-3) -> pd.DataFrame:
    """Where each run from ``starts`` ended: the nearest stationary point (if within ``atol``) and its outcome
    (``by``: which test each converged run passed)."""
    rows = []
    for w0, end, status, event, criterion in zip(starts, finals, statuses, events, by):
        near = min(surface.stationary, key=lambda p: abs(p.point[0] - end))
        rows.append({
            "start w": float(w0),
            "final w": float(end),
            "f(final w)": float(surface.value([end])),
            "ends at": near.label if abs(near.point[0] - end) < atol else f"no critical point within {atol:g}",
            "status": describe_outcome(status, event, steps, criterion),
        })
    return pd.DataFrame(rows)
