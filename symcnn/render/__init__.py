"""Printers: they render a model's data as text, Markdown or LaTeX and compute nothing."""
