"""The real files of tests/fixtures: small, described, and the same bytes as their source.

A clone of the repository has no ../shared/data, so the tests read tests/fixtures (docs/architecture.md,
"Tests"). These checks keep that folder honest: every file is named in its folder's PROVENANCE.md, no
file is large (files the package ships are links to src/leviers/data, not second copies), and — where
../shared/data is present — every copy is byte for byte the shared file and every excerpt is what
tests/fixtures/extraits.py builds from it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO
from tests.fixtures import extraits

MAX_BYTES = 500_000  # a larger file is kept as an excerpt (extraits.py) or read from ../shared/data
TOOLS = {".py"}  # scripts that build fixtures, not data
# Files made here (PROVENANCE.md): workbooks made from real rows by make_tableurs.py, the
# hand-made purchase files (achats/, the buyer's private records: no public original exists) and
# the hand-made subsidy file of a hosted workspace (subventions/espace_).
MADE_HERE = ("subventions/tableur_", "subventions/espace_", "achats/")


def _data_files() -> list[Path]:
    return sorted(
        path
        for path in FIXTURES.rglob("*")
        if (path.is_file() or path.is_symlink())
        and path.suffix not in TOOLS
        and path.name != "PROVENANCE.md"
        and "__pycache__" not in path.parts
    )


def _relative(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


def test_every_file_is_named_in_its_folder_provenance() -> None:
    files = _data_files()
    assert len(files) > 40
    for path in files:
        top = FIXTURES / path.relative_to(FIXTURES).parts[0]
        provenance = top / "PROVENANCE.md"
        assert provenance.is_file(), f"{top.name}/ has no PROVENANCE.md"
        text = provenance.read_text(encoding="utf-8")
        # Workbooks in two formats are named once as `stem.{xls,ods}`.
        assert path.name in text or f"{path.stem}." in text, (
            f"{_relative(path)} is not in {top.name}/PROVENANCE.md"
        )


def test_files_are_small_and_links_point_into_the_package() -> None:
    package_data = REPO / "src" / "leviers" / "data"
    for path in _data_files():
        if path.is_symlink():
            target = path.resolve(strict=True)
            assert target.is_relative_to(package_data), f"{_relative(path)} links outside src/leviers/data"
            assert not Path(path.readlink()).is_absolute(), f"{_relative(path)}: the link must be relative"
        else:
            assert path.stat().st_size <= MAX_BYTES, f"{_relative(path)} is larger than {MAX_BYTES} bytes"


@pytest.mark.shared
def test_copies_are_the_shared_files_byte_for_byte(shared_data: Path) -> None:
    excerpts = set(extraits.EXTRAITS)
    checked = 0
    for path in _data_files():
        relative = _relative(path)
        if relative in excerpts or relative.startswith(MADE_HERE):
            continue
        source = shared_data / relative
        assert source.is_file(), f"{relative} has no counterpart in {shared_data}"
        assert path.read_bytes() == source.read_bytes(), f"{relative} differs from {source}"
        checked += 1
    assert checked > 40


@pytest.mark.shared
@pytest.mark.parametrize("relative", sorted(extraits.EXTRAITS))
def test_excerpts_are_what_extraits_builds(shared_data: Path, relative: str) -> None:
    assert (FIXTURES / relative).read_bytes() == extraits.EXTRAITS[relative](shared_data)
