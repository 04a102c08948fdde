"""Shared output helpers of the command line: --sortie files, sizes in French units."""

from __future__ import annotations

from pathlib import Path

import pytest

from leviers.cli.output import octets, write_output
from leviers.errors import LeviersError


def test_write_output_to_a_file_says_how_many_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "flux.csv"
    write_output("a,b\n1,2\n", out, rows=1)
    assert out.read_text(encoding="utf-8") == "a,b\n1,2\n"
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout stays clean for pipes
    assert f"1 ligne écrite dans {out}" in " ".join(captured.err.split())


def test_write_output_without_a_file_goes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    write_output("{}\n", None)
    assert capsys.readouterr().out == "{}\n"


def test_an_unwritable_file_is_a_french_error(tmp_path: Path) -> None:
    with pytest.raises(LeviersError, match="impossible d'écrire"):
        write_output("x", tmp_path / "absent" / "f.csv")


def test_sizes_in_french_units() -> None:
    assert octets(512) == "512 octets"
    assert octets(1_500) == "1,5 ko"
    assert octets(250_000_000) == "250,0 Mo"
    assert octets(2_500_000_000) == "2,5 Go"
