"""Alembic migrations of the hosted store (raw SQL: the schema is the contract, no ORM models).

A new revision: `alembic -c src/leviers/hosted/migrations/alembic.ini revision -m "…"` with
LEVIERS_POSTGRES set, then write its SQL in upgrade() and downgrade(). Every table holding one
workspace's data gets the isolation policy of 0001 (tests/hosted/test_isolation.py checks it).
"""
