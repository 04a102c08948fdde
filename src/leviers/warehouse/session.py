"""Every DuckDB setting Leviers changes, in one place, and the only code that changes them.

DuckDB settings are state shared beyond the statement that needs them: a GLOBAL setting
(`memory_limit`, `threads`, `preserve_insertion_order`, `disabled_optimizers`, `temp_directory`…)
holds for every connection to the same database, a SESSION one for the rest of the connection's
life. Modules therefore never run `SET`, `RESET` or `PRAGMA` themselves nor pass `config=` to
`duckdb.connect`; they call this module (a test greps `src/` for it):

- `connect(database, settings)`: a new database with its settings for its whole life;
- `apply(con, **settings)`: settings for the rest of the connection's (GLOBAL: the database's) life;
- `scoped(con, **settings)`: settings for a block, the previous values restored on leaving it on
  every path, errors included.

Restoring: the previous values are read with `current_setting()` on entering the block. After an
error, GLOBAL ones are written back through a new cursor of the same database, because an error
inside an explicit transaction aborts it and DuckDB then refuses every statement but ROLLBACK on
that connection (the SET included). SESSION ones can only be written back on the connection itself:
when its transaction was aborted, the restore fails and a note saying so is added to the error.
Blocks nest (each restores what it found); GLOBAL settings are shared by all threads using the
database, so two threads must not scope the same setting at once.

DuckDB shows sizes rounded (`memory_limit = '1GB'` reads back `953.6 MiB`, which written back is
953.5 MiB): the exact text behind each value shown is remembered when this module sets it, and a
default never set here is restored with RESET.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

Value = str | bool | int | float | list[str]


@dataclass(frozen=True)
class Setting:
    name: str
    scope: Literal["GLOBAL", "SESSION"]
    use: str  # where Leviers sets it and why
    rounded: bool = False  # DuckDB shows it rounded: restore from the text that set it


_LIST = [
    Setting(
        "memory_limit",
        "GLOBAL",
        "DuckDB's buffer budget: a national DECP or SIRENE file must load on a laptop (spilling beyond); "
        "the web server's share of its --memoire budget; 128 MB for a workbook export worker; 1 GB for "
        "the private store (a large purchase file's cleaned records spill beyond)",
        rounded=True,
    ),
    Setting(
        "threads",
        "GLOBAL",
        "1 while a DECP batch is prepared in the background and the one before merged (two statements "
        "at once); the web server's --threads; 1 for a workbook export worker",
    ),
    Setting(
        "preserve_insertion_order",
        "GLOBAL",
        "false for the DECP and SIRENE loads and the web copy's build: their rows are sorted or keyed "
        "later, and keeping order costs memory",
    ),
    Setting(
        "disabled_optimizers",
        "GLOBAL",
        "'build_side_probe_side' during a DECP merge: the hash join is built on the side written",
    ),
    Setting(
        "temp_directory",
        "GLOBAL",
        "where the web server and the web copy's build spill, never the current directory",
    ),
    Setting(
        "write_buffer_row_group_count",
        "GLOBAL",
        "1 on a warehouse opened for writing and on the private store: full row groups are compressed "
        "while the next batch loads",
    ),
    Setting(
        "enable_optimizer",
        "SESSION",
        "false during the checksum pass, so that every count reads its column's blocks",
    ),
    Setting(
        "enable_progress_bar",
        "SESSION",
        "false during the checksum pass, which reports to its own progress bar",
    ),
    Setting(
        "search_path",
        "SESSION",
        "the web server's cursors and the web copy's build read the serving copy, then the warehouse",
    ),
]
SETTINGS: dict[str, Setting] = {setting.name: setting for setting in _LIST}

# For each rounded setting, the exact text this process set behind each value DuckDB shows.
_exact: dict[tuple[str, str], str] = {}
_exact_lock = threading.Lock()


class SettingRestoreError(RuntimeError):
    """A setting could not be given back its previous value."""


def _setting(name: str) -> Setting:
    try:
        return SETTINGS[name]
    except KeyError:
        raise ValueError(
            f"unknown DuckDB setting {name!r}: declare it in leviers.warehouse.session.SETTINGS"
        ) from None


def current(con: duckdb.DuckDBPyConnection, name: str) -> Value:
    """The value of setting `name` as `con` sees it (`current_setting`)."""
    return _read(con, [_setting(name)])[0]


def _read(con: duckdb.DuckDBPyConnection, settings: list[Setting]) -> list[Value]:
    if not settings:
        return []
    row = con.execute(
        "SELECT " + ", ".join("current_setting(?)" for _ in settings), [s.name for s in settings]
    ).fetchall()[0]  # fetchall: a partly fetched result would stay open on the connection
    return [value for value in row]


def _remember(con: duckdb.DuckDBPyConnection, setting: Setting, text: Value) -> None:
    if setting.rounded and isinstance(text, str):
        shown = str(_read(con, [setting])[0])
        with _exact_lock:
            _exact[(setting.name, shown)] = text


def _write(con: duckdb.DuckDBPyConnection, setting: Setting, value: Value) -> None:
    # The name comes from SETTINGS; the value is a parameter.
    con.execute(f"SET {setting.scope} {setting.name} = ?", [value])
    _remember(con, setting, value)


def _restore_one(con: duckdb.DuckDBPyConnection, setting: Setting, previous: Value) -> None:
    if not setting.rounded:
        con.execute(f"SET {setting.scope} {setting.name} = ?", [previous])
        return
    with _exact_lock:
        exact = _exact.get((setting.name, str(previous)))
    if exact is not None:
        con.execute(f"SET {setting.scope} {setting.name} = ?", [exact])
        if str(_read(con, [setting])[0]) == str(previous):
            return
    # Never set by this module: DuckDB's default, or the nearest value to what it showed.
    con.execute(f"RESET {setting.scope} {setting.name}")
    if str(_read(con, [setting])[0]) != str(previous):
        con.execute(f"SET {setting.scope} {setting.name} = ?", [previous])


def connect(
    database: str | Path = ":memory:", settings: Mapping[str, Value] | None = None, *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """A connection to a new DuckDB database (or file) whose `settings` hold for its whole life."""
    settings = dict(settings or {})
    specs = [_setting(name) for name in settings]
    con = duckdb.connect(str(database), read_only=read_only, config=settings)
    for spec in specs:
        _remember(con, spec, settings[spec.name])
    return con


def apply(con: duckdb.DuckDBPyConnection, **settings: Value) -> None:
    """Set `settings` for the rest of `con`'s life (GLOBAL ones: for every connection to its
    database). For a block, use `scoped`."""
    for name, value in settings.items():
        _write(con, _setting(name), value)


def _restore(
    con: duckdb.DuckDBPyConnection, settings: list[Setting], previous: list[Value], *, failed: bool
) -> None:
    failures: list[str] = []
    pairs = list(zip(settings, previous, strict=True))
    globals_ = [(s, v) for s, v in pairs if s.scope == "GLOBAL"]
    if globals_ and not failed:
        try:  # on `con` itself: a cursor costs about a millisecond (a DECP merge scopes each batch)
            for setting, value in reversed(globals_):
                _restore_one(con, setting, value)
            globals_ = []
        except duckdb.Error:
            pass  # an earlier error aborted `con`'s transaction (the block did not see it)
    if globals_:
        # After an error, through another connection to the same database: `con`'s transaction
        # may have been aborted.
        other = con.cursor()
        try:
            for setting, value in reversed(globals_):
                try:
                    _restore_one(other, setting, value)
                except duckdb.Error as exc:
                    failures.append(f"{setting.name} = {value!r}: {exc}")
        finally:
            other.close()
    for setting, value in reversed([(s, v) for s, v in pairs if s.scope == "SESSION"]):
        try:
            _restore_one(con, setting, value)
        except duckdb.Error as exc:
            failures.append(f"{setting.name} = {value!r}: {exc}")
    if failures:
        raise SettingRestoreError("DuckDB settings not restored: " + "; ".join(failures))


@contextmanager
def scoped(con: duckdb.DuckDBPyConnection, **settings: Value) -> Iterator[None]:
    """Apply `settings` to `con` for the block, then give each its previous value back, whether
    the block ends, fails or is left by an exception."""
    specs = [_setting(name) for name in settings]
    previous = _read(con, specs)
    try:
        for spec in specs:
            _write(con, spec, settings[spec.name])
        yield
    except BaseException as exc:
        try:
            _restore(con, specs, previous, failed=True)
        except SettingRestoreError as failure:
            exc.add_note(str(failure))
        raise
    _restore(con, specs, previous, failed=False)
