"""Figures and tables of the loss-functions page: curves against the residual, the margin or the probability,
and the user's numbers with each loss's arithmetic written out. The numbers come from ``nets.losses``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nets import losses as L

from .curves import Curve, function_and_derivative
from .style import Theme

REGRESSION_COLORS = {"mse": "#0072B2", "mae": "#009E73", "huber": "#E69F00", "msle": "#CC79A7", "mape": "#56B4E9"}
NOTES_COLOR = "#D55E00"


def short(x: float) -> str:
    """A number as the arithmetic prints it: 4 significant digits, a real minus sign."""
    x = float(x)
    if not np.isfinite(x):
        return "undefined" if np.isnan(x) else ("∞" if x > 0 else "−∞")
    text = f"{x:.4g}"
    return ("0" if float(text) == 0 else text).replace("-", "−")


def _mean_text(terms, value: float, *, reduce: str = "mean", scale: float = 1.0) -> str:
    inner = " + ".join(short(t) for t in terms)
    body = inner if reduce == "sum" else f"({inner}) / {len(terms)}"
    if scale != 1.0:
        body = f"{short(scale)} × {body}"
    return f"{body} = {short(value)}"


# -- curves -------------------------------------------------------------------------------------------------------

def regression_curves(show, th: Theme, *, delta: float, target: float, reach: float, notes_huber: bool):
    """Each chosen regression loss's per-example term against the residual r = y − ŷ, and d/dr below."""
    r = np.linspace(-reach, reach, 801)
    losses = L.regression_losses(delta)
    curves = []
    for key in show:
        loss = losses[key]
        pred = target - r
        term = np.full_like(r, np.nan)
        dterm = np.full_like(r, np.nan)
        ok = pred > -1 if key == "msle" else np.ones_like(r, bool)
        term[ok] = loss.term(np.full(ok.sum(), target), pred[ok])  # MAPE's term without its 100 %
        dterm[ok] = -loss.dterm(np.full(ok.sum(), target), pred[ok])
        name = {"msle": f"MSLE term (y = {target:g})", "mape": f"MAPE term |r/y| (y = {target:g}; MAPE is 100 × the "
                "mean)"}.get(key, {"mse": "MSE term r² (= L2's)", "mae": "MAE term |r| (= L1's)"}.get(key, loss.name))
        curves.append(Curve(name, term, dterm, REGRESSION_COLORS[key]))
    if notes_huber and "huber" in show:
        curves.append(Curve("Huber as printed in the notes", L.huber_notes(r, delta),
                            np.where(np.abs(r) < delta, r, delta), NOTES_COLOR, "dash"))
    # MSLE grows without bound as ŷ approaches −1: scale the axis to the other curves when there are any
    scaled = [c for k, c in zip(show, curves) if k != "msle"] or curves
    top = max(4.0, float(np.nanmax([np.nanmax(c.y) for c in scaled])))
    low = min(0.0, float(np.nanmin([np.nanmin(c.y) for c in curves])))
    slope = max(1.2, float(np.nanmax([np.nanmax(np.abs(c.dy)) for c in scaled])) * 1.1)
    return function_and_derivative(r, curves, th, x_title="residual r = y − ŷ", top="per-example loss",
                                   bottom="derivative d/dr", y_range=(low - 0.05 * (top - low), top * 1.05),
                                   dy_range=(-slope, slope))


def margin_curves(th: Theme, *, reach: float = 3.0):
    m = np.linspace(-reach, reach, 601)
    one = np.ones_like(m)
    curves = [Curve("hinge max(0, 1 − m)", L.hinge_term(one, m), L.hinge_dterm(one, m), "#0072B2"),
              Curve("squared hinge max(0, 1 − m)²", L.squared_hinge_term(one, m), L.squared_hinge_dterm(one, m),
                    "#E69F00"),
              Curve("categorical hinge, m = s<sub>c</sub> − max other", L.hinge_term(one, m), L.hinge_dterm(one, m),
                    "#009E73", "dot")]
    return function_and_derivative(m, curves, th,
                                   x_title="margin m = y·s (hinge), or s<sub>c</sub> − the largest other s<sub>k</sub> "
                                           "(categorical)",
                                   top="per-example loss", bottom="derivative d/dm",
                                   y_range=(-0.3, float((1 + reach) ** 2) * 0.6))


def probability_curves(th: Theme):
    p = np.linspace(0.002, 0.998, 499)
    curves = [Curve("−ln p: binary CE with y = 1, categorical and sparse CE", L.binary_crossentropy_term(1.0, p),
                    L.binary_crossentropy_dterm(1.0, p), "#0072B2"),
              Curve("−ln(1 − p): binary CE with y = 0", L.binary_crossentropy_term(0.0, p),
                    L.binary_crossentropy_dterm(0.0, p), "#D55E00", "dash")]
    return function_and_derivative(p, curves, th, x_title="predicted probability p (of class 1, or of the true "
                                   "class)", top="per-example loss", bottom="derivative d/dp", y_range=(0, 6.5),
                                   dy_range=(-25, 25))


# -- your numbers ---------------------------------------------------------------------------------------------------

def regression_tables(y, pred, delta: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Per example, per loss (with arithmetic) and the gradient of every loss with respect to each ŷ_i."""
    y, pred = L.check_regression(y, pred)
    losses = L.regression_losses(delta)
    r = y - pred
    mape_ok, msle_ok = bool(np.all(y != 0)), bool(np.all(y > -1) and np.all(pred > -1))
    ok = (y > -1) & (pred > -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        examples = pd.DataFrame({
            "i": np.arange(1, len(y) + 1), "yᵢ": y, "ŷᵢ": pred, "rᵢ = yᵢ − ŷᵢ": r, "rᵢ²": r * r, "|rᵢ|": np.abs(r),
            "Huber term": L.huber_term(r, delta),
            "|rᵢ / yᵢ| × 100": np.where(y != 0, 100 * np.abs(r / np.where(y != 0, y, 1)), np.nan),
            "(ln(1+ŷᵢ) − ln(1+yᵢ))²": np.where(ok, (np.log1p(np.where(ok, pred, 0)) - np.log1p(np.where(ok, y, 0)))
                                                 ** 2, np.nan)})
    rows, grads = [], {}
    for key in ("mse", "mae", "mape", "msle", "l1", "l2", "huber"):
        loss = losses[key]
        reason = {"mape": None if mape_ok else "undefined: a target yᵢ is 0",
                  "msle": None if msle_ok else "undefined: a value is −1 or below"}.get(key)
        if reason:
            rows.append({"loss": loss.name, "arithmetic": reason, "value": np.nan})
            grads[loss.name] = np.full(len(y), np.nan)
            continue
        terms = loss.term(y, pred)
        value = loss.value(y, pred)
        rows.append({"loss": loss.name, "arithmetic": _mean_text(terms, value, reduce=loss.reduce, scale=loss.scale),
                     "value": value})
        grads[loss.name] = loss.grad(y, pred)
    notes = L.huber_notes(r, delta)
    rows.append({"loss": f"Huber as printed in the notes (δ = {delta:g})", "arithmetic": _mean_text(notes, notes.mean()),
                 "value": float(notes.mean())})
    gradient = pd.DataFrame({"loss": list(grads)} | {f"∂L/∂ŷ_{i + 1}": [g[i] for g in grads.values()]
                                                       for i in range(len(y))})
    return examples, pd.DataFrame(rows), gradient


def binary_tables(y, p) -> tuple[pd.DataFrame, pd.DataFrame]:
    y, p = L.check_binary(y, p)
    terms = L.binary_crossentropy_term(y, p)
    examples = pd.DataFrame({"i": np.arange(1, len(y) + 1), "yᵢ": y, "pᵢ": p,
                             "term used": np.where(y == 1, "−ln pᵢ", "−ln(1 − pᵢ)"),
                             "loss term": terms, "∂L/∂pᵢ": L.binary_crossentropy_dterm(y, p) / len(y)})
    rows = [{"loss": "binary cross-entropy", "arithmetic": _mean_text(terms, terms.mean()), "value": float(terms.mean())}]
    return examples, pd.DataFrame(rows)


def hinge_tables(y, s) -> tuple[pd.DataFrame, pd.DataFrame]:
    y, s = L.check_margin(y, s)
    h, h2 = L.hinge_term(y, s), L.squared_hinge_term(y, s)
    examples = pd.DataFrame({"i": np.arange(1, len(y) + 1), "yᵢ": y, "sᵢ": s, "margin yᵢ·sᵢ": y * s,
                             "hinge term": h, "squared hinge term": h2,
                             "∂hinge/∂sᵢ": L.hinge_dterm(y, s) / len(y),
                             "∂squared hinge/∂sᵢ": L.squared_hinge_dterm(y, s) / len(y)})
    rows = [{"loss": "hinge", "arithmetic": _mean_text(h, h.mean()), "value": float(h.mean())},
            {"loss": "squared hinge", "arithmetic": _mean_text(h2, h2.mean()), "value": float(h2.mean())}]
    return examples, pd.DataFrame(rows)


def notes_hinge_error(y, s) -> str:
    """What the notes' hinge code does with these numbers: the exception it raises, in one line."""
    try:
        L.hinge_notes(s, y)
    except Exception as exc:  # the point: show exactly what numpy says
        return f"{type(exc).__name__}: {exc}"
    return "no error"


def categorical_tables(labels, probs) -> tuple[pd.DataFrame, pd.DataFrame]:
    labels, probs = L.check_categorical(labels, probs)
    k = probs.shape[1]
    onehot = L.one_hot(labels, k)
    cce = L.categorical_crossentropy_terms(onehot, probs)
    sparse = L.sparse_categorical_crossentropy_terms(labels, probs)
    ch = L.categorical_hinge_terms(onehot, probs)
    rival = np.max(np.where(onehot > 0, -np.inf, probs), axis=1)
    examples = pd.DataFrame({
        "i": np.arange(1, len(labels) + 1), "class cᵢ": labels,
        "one-hot yᵢ": [" ".join(str(int(v)) for v in row) for row in onehot],
        "pᵢ of the true class": probs[np.arange(len(labels)), labels], "−Σₖ yᵢₖ ln pᵢₖ": cce,
        "−ln pᵢ of the true class": sparse,
        "max other p": rival, "categorical hinge term": ch})
    rows = [{"loss": "categorical cross-entropy (one-hot labels)", "arithmetic": _mean_text(cce, cce.mean()),
             "value": float(cce.mean())},
            {"loss": "sparse categorical cross-entropy (class numbers)", "arithmetic": _mean_text(sparse, sparse.mean()),
             "value": float(sparse.mean())},
            {"loss": "categorical hinge", "arithmetic": _mean_text(ch, ch.mean()), "value": float(ch.mean())}]
    return examples, pd.DataFrame(rows)
