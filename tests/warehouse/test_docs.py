"""docs/warehouse.md against the schema: every table and view the schema files create is in its
catalogue and every one listed exists, each link leads to a section that names the table, and the
columns its column tables name exist."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from leviers.warehouse import apply_schema

DOCS = Path(__file__).resolve().parents[2] / "docs"
WAREHOUSE_MD = DOCS / "warehouse.md"
NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
LINK = re.compile(r"\[[^\]]*\]\(([^)#]*)(?:#([^)]*))?\)")


@pytest.fixture(scope="module")
def schema() -> Iterator[duckdb.DuckDBPyConnection]:
    """An empty warehouse: the schema files applied to a new database."""
    con = duckdb.connect()
    apply_schema(con)
    yield con
    con.close()


def _objects(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()
    views = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal"
    ).fetchall()
    return {name: "table" for (name,) in tables} | {name: "view" for (name,) in views}


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _tables(text: str) -> Iterator[tuple[str, list[str], list[list[str]]]]:
    """Each Markdown table of `text`: the heading above it, its header cells and its rows."""
    heading = ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if line.startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|---"):
            header = _cells(line)
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            yield heading, header, rows
            continue
        i += 1


def _catalogue() -> list[list[str]]:
    for heading, header, rows in _tables(WAREHOUSE_MD.read_text(encoding="utf-8")):
        if heading == "Catalogue":
            assert header == ["name", "kind", "meaning", "columns"]
            return rows
    raise AssertionError("docs/warehouse.md has no Catalogue table")


def _names(cell: str) -> list[str]:
    return [name for name in re.findall(r"`([^`]+)`", cell) if NAME.match(name)]


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _sections(path: Path) -> dict[str, str]:
    """Each heading's anchor and the text under it, down to the next heading of its level or above."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: dict[str, str] = {}
    for index, line in enumerate(lines):
        match = re.match(r"^(#+)\s+(.*)$", line)
        if not match:
            continue
        level = len(match.group(1))
        end = next(
            (
                j
                for j in range(index + 1, len(lines))
                if (m := re.match(r"^(#+)\s", lines[j])) and len(m.group(1)) <= level
            ),
            len(lines),
        )
        found.setdefault(_slug(match.group(2)), "\n".join(lines[index:end]))
    return found


def test_the_catalogue_lists_exactly_what_the_schema_creates(schema: duckdb.DuckDBPyConnection) -> None:
    documented = {}
    for row in _catalogue():
        (name,) = _names(row[0])
        assert name not in documented, f"{name} listed twice"
        documented[name] = row[1]
    created = _objects(schema)
    assert sorted(set(created) - set(documented)) == [], "created by the schema, not in docs/warehouse.md"
    assert sorted(set(documented) - set(created)) == [], "in docs/warehouse.md, not created by the schema"
    assert {name: kind for name, kind in documented.items() if created[name] != kind} == {}


def test_every_entry_has_a_meaning_and_a_link_to_its_columns() -> None:
    for row in _catalogue():
        name = _names(row[0])[0]
        assert len(row[2]) > 10, f"{name}: no meaning"
        link = LINK.search(row[3])
        assert link is not None, f"{name}: no link to its columns"
        target = DOCS / link.group(1) if link.group(1) else WAREHOUSE_MD
        assert target.is_file(), f"{name}: {target} does not exist"
        sections = _sections(target)
        anchor = link.group(2)
        assert anchor in sections, f"{name}: no heading #{anchor} in {target.name}"
        assert f"`{name}`" in sections[anchor] or f"`{name}` " in sections[anchor], (
            f"{name}: the section #{anchor} of {target.name} does not name it"
        )


def test_the_columns_named_in_column_tables_exist(schema: duckdb.DuckDBPyConnection) -> None:
    columns: dict[str, set[str]] = {}
    for table, column in schema.execute("SELECT table_name, column_name FROM duckdb_columns()").fetchall():
        columns.setdefault(table, set()).add(column)
    checked = 0
    for heading, header, rows in _tables(WAREHOUSE_MD.read_text(encoding="utf-8")):
        if header[:2] == ["column", "meaning"]:
            owner = _names(heading)[0]  # the section of one table
            pairs = [(owner, row[0]) for row in rows]
        elif header[:2] == ["view", "column"]:
            owner = ""
            pairs = []
            for row in rows:
                owner = _names(row[0])[0] if row[0] else owner
                pairs.append((owner, row[1]))
        else:
            continue
        for owner, cell in pairs:
            for name in _names(cell):
                assert name in columns[owner], f"docs/warehouse.md names {owner}.{name}, which does not exist"
                checked += 1
    assert checked > 50  # the contracts table and the views of the money to the ESS
