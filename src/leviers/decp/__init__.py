"""Public procurement data (DECP): format readers, normalisation, validation, synthetic data."""
