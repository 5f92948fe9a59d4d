"""Figures: a registry of figure kinds, one module per family under `kinds/`.

Importing this package does not import matplotlib: the specs are plain pydantic models,
and matplotlib is imported only by `render` when a figure is drawn.
"""
