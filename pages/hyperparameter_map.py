"""Placeholder until its issue lands."""

from ui import layout

layout.header("Hyperparameter map", "This page is being built.")
