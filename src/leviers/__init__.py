"""Leviers: how public money reaches the social and solidarity economy (ESS) and the just transition."""

__version__ = "0.1.0"
