"""Streamlit glue shared by the pages: URL-backed settings, synced widgets, layout and the page registry.

The only package besides ``pages/`` and ``app.py`` that imports streamlit.
"""
