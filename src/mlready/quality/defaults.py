"""Defaults of drafting a data contract, light enough for the command line to import."""

# How far beyond train's span a draft contract's numeric ranges reach at least, as a share
# of the span (further where a column's tail says clean data goes further).
DEFAULT_MARGIN = 0.5
