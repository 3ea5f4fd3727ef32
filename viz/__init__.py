"""Plotly figure builders and pandas table builders shared by the pages. No streamlit here."""
