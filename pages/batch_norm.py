"""Placeholder until its issue lands."""

from ui import layout

layout.header("Batch Normalization", "This page is being built.")
