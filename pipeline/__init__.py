"""The Five ML Concepts content pipeline.

Episodes are YAML files; the pipeline validates them and renders the blog post, the
quick-reference table, figures, the site and a slideshow video draft from them.
"""

__version__ = "0.1.0"
