"""Numerical cores of the "Inside the networks" pages: numpy forward and backward passes, no streamlit."""
