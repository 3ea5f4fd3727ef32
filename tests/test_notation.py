"""Notation that students see is rendered, never raw markup: prose and labels write subscripts and powers in
LaTeX ($h_{t-1}$, which Streamlit renders), table headers (which cannot render LaTeX) in Unicode (hₜ₋₁)."""

from __future__ import annotations

import re

import pytest

# A letter with a subscript or a power in markup: h_{t-1}, h_t, w_t+1, x^t, beta^t, W_h^(T-t).
RAW = re.compile(r"[A-Za-zα-ωΑ-Ω]_(\{|[A-Za-z0-9(])|[A-Za-z0-9)]\^(\{|\(|[A-Za-z0-9])")
MATH = re.compile(r"\$[^$]+\$|`[^`]*`")  # rendered LaTeX, or code
# the iteration tables' columns keep the names of their CSV and of the command line (the caption explains them)
CSV_NAMES = re.compile(r"\b(w_next|x_next|y_next|b_next|lr_eff|m_hat|v_hat|g_clip|eta_t|u_hat)\b")
# fan_in and fan_out are the names Keras and PyTorch give the initializers' arguments: words, not subscripts
WORDS = re.compile(r"\bfan_(in|out)\b")
VIEWS = [
    ("pages/learning_rate.py", {}),
    ("pages/learning_rate.py", {"view": "optimizers", "opt": "gd,adam"}),
    ("pages/learning_rate.py", {"view": "momentum"}),
    ("pages/playground.py", {}),
    ("pages/hyperparameter_map.py", {"outcome": "rate", "opt": "gd"}),
    ("pages/lstm.py", {}),
    ("pages/lstm.py", {"view": "gradient"}),
    ("pages/spatial_transformer.py", {}),
    ("pages/lstm.py", {"view": "memory", "steps": "50"}),
    ("pages/moving_averages.py", {}),
    ("pages/batch_norm.py", {}),
    ("pages/batch_learning.py", {}),
    ("pages/losses.py", {}),
    ("pages/activations.py", {}),
    ("pages/initializers.py", {}),
    ("pages/dropout.py", {}),
    ("pages/convolution.py", {}),
]


def raw_markup(text: str) -> list[str]:
    """The pieces of ``text`` outside LaTeX and code that are subscripts or powers in markup."""
    bare = WORDS.sub("", CSV_NAMES.sub("", MATH.sub("", text)))
    return [m.group(0) for m in RAW.finditer(bare)]


def test_the_checker_finds_the_issue_s_examples_and_passes_their_rendered_forms():
    assert raw_markup("h_{t-1} and c_{t-1}, z_f, (x^t, y^t), w_t+1") == ["h_{", "c_{", "z_f", "x^t", "y^t", "w_t"]
    assert raw_markup("the point $w_{t+1}$, $(x^t, y^t)$, hₜ₋₁, `lr=0.1`, 7.0e-4, 1 − βᵗ") == []


@pytest.mark.parametrize("page, query", VIEWS)
def test_no_raw_markup_in_prose_labels_or_table_headers(page, query, open_page, texts):
    at = open_page(page, query)
    assert not at.exception
    prose = texts(at)
    labels = []
    for kind in ("slider", "number_input", "selectbox", "multiselect", "text_input", "checkbox", "toggle", "button",
                 "radio", "expander"):
        for w in at.get(kind):
            labels += [getattr(w, "label", None) or getattr(getattr(w, "proto", None), "label", ""),
                       getattr(w, "help", None) or ""]
    headers = [str(c) for d in at.dataframe for c in d.value.columns]
    found = {"prose": raw_markup(prose), "labels": raw_markup("\n".join(map(str, labels))),
             "headers": [h for h in headers if raw_markup(h)]}
    assert found == {"prose": [], "labels": [], "headers": []}
    assert not re.search(r"(?i)the project|\bour\b|\bregistry\b|\bthe core\b", prose)  # no developer wording
