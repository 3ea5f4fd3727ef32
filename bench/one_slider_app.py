"""The reference for latency ratios: one slider and one small table, nothing else (Streamlit's floor)."""

import pandas as pd
import streamlit as st

st.title("One slider")
x = st.slider("x", 0.0, 1.0, 0.1, step=0.001)
st.dataframe(pd.DataFrame({"iteration": range(1, 22), "value": [x * i for i in range(1, 22)]}), hide_index=True)
