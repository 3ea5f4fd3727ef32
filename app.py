"""Entry point: routes the pages. No math here."""

import streamlit as st

st.set_page_config(page_title="Optimizer lab", layout="wide")
st.title("Optimizer lab")
st.write("Gradient descent and its descendants on loss surfaces. The pages arrive with the next issues.")
