"""Placeholder until its issue lands."""

from ui import layout

layout.header("Spatial Transformer", "This page is being built.")
