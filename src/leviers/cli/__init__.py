"""The `leviers` command line: a thin face over the core (one module per verb)."""
