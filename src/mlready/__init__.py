"""mlready: audit a trained model against the ML production-readiness checklist."""

# The one place the version is written (pyproject.toml reads it from here): a constant, so
# that 'mlready --version' costs no package-metadata lookup.
__version__ = "0.1.0"
