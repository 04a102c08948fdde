"""Funding schemes: the catalogue in Etalab's dispositif-aide schema, Aides-territoires imports and
the aid regulations of collectivités shipped as data (docs/aides.md)."""
