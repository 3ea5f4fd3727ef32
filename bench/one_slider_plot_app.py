"""The reference for the playground's latency ratios: the smallest Streamlit page with a slider that redraws a
plotly figure (``one_slider_app.py`` redraws a table).

    streamlit run bench/one_slider_plot_app.py

Whatever this page costs from a key press on its slider to the redrawn figure is Streamlit's floor on the
machine at that moment; ``bench_playground.py`` measures both pages in the same run and reports the ratio.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

k = st.slider("frequency", 1, 200, 20, key="k")
x = np.linspace(0, 1, 200)
st.plotly_chart(go.Figure(go.Scatter(x=x, y=np.sin(2 * np.pi * k * x), mode="lines")), theme=None)
