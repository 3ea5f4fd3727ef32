"""Placeholder until its issue lands."""

from ui import layout

layout.header("LSTM", "This page is being built.")
