"""What the built-in checks compute.

Each module here holds one check's computation, behind its declaration in
``mlready.checks`` (id, options, capabilities, documentation). Declarations import
nothing heavy, so listing, explaining and documenting checks (``mlready checks``,
``explain``, ``init``) imports no pandas, scipy, pyarrow or scikit-learn; a check's
``run`` imports its module here when an audit runs it.
"""
