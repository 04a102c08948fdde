"""Subsidies granted by public bodies (SCDL "subventions" files, every version, and older layouts)."""
