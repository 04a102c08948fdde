"""Hosted mode's private store: accounts, workspaces and everything private, in PostgreSQL.

The open-data warehouse stays in DuckDB; what belongs to one workspace (a collectivité, a network,
an ESS organisation) lives here, isolated by PostgreSQL row-level security in one place
(`tenancy.workspace_session`). Schema changes are Alembic migrations (`migrations/`).
docs/hosted.md says how to run it.
"""
