"""Which form is which: every variant of every update rule, its formula, the frameworks that use it and the course
notes that write it that way; and the notes' typos, recomputed."""

from __future__ import annotations

import streamlit as st

import optim
from optim.forms import form_rows, typos
from ui import layout, state, widgets
from ui.state import escape_markdown as esc
from viz.curve_runs import forms_frame, typos_frame

ROWS = form_rows()
LISTED = tuple(dict.fromkeys(r.optimizer for r in ROWS))
SHOW = state.names("show", LISTED, LISTED, min_count=1, scope="forms")

layout.header("Which form is which", "The same optimizer is written several ways: where ε goes, whether momentum "
                                     "averages or sums, whether Adam corrects its bias. Which framework and which "
                                     "of the notes use which.")
shown = widgets.multiselect(SHOW, "Optimizers", LISTED, format_func=lambda n: optim.spec(n).title)
rows = [r for r in ROWS if r.optimizer in shown]
st.caption("Each formula is drawn by the app's own optimizer from the form's setting: the rule the app runs. "
           "“yes”: the framework's optimizer with its default arguments follows this form (PyTorch's torch.optim, "
           "Keras 3 / tf.keras). Notes: 000 handwritten summary, 001 the unit on the eight optimizers, 002 the slides "
           "on BatchNorm and CNNs, 003 the slides with the worked tables, 004 the slides on losses and optimizers.")
current = None
for i, r in enumerate(rows):
    if r.title != current:
        current = r.title
        st.subheader(r.title)
    with st.container(border=True, key=f"form-{i}"):
        left, right = st.columns([3, 2], vertical_alignment="center")
        left.latex(r.latex)
        right.markdown(f"**{esc(r.variant)}: {esc(r.form)}** · PyTorch: {r.pytorch} · Keras: {r.keras}  \n"
                       f"Notes: {esc(r.notes)}" + (f"  \n_{esc(r.remark)}_" if r.remark else ""))

st.subheader("The whole table (every optimizer)")
table = forms_frame(ROWS)
layout.dataframe(table, key="forms")
layout.csv_download(table, "which_form_is_which.csv", key="forms-csv")

st.subheader("Typos in the notes, recomputed")
wrong = typos_frame(typos())
layout.dataframe(wrong, key="typos")
layout.csv_download(wrong, "notes_typos.csv", key="typos-csv")
