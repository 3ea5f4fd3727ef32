"""Placeholder until its issue lands."""

from ui import layout

layout.header("Optimizer playground", "This page is being built.")
