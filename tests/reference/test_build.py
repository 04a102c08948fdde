"""tools/build_reference.py rebuilds the shipped files byte for byte from the pinned npm package."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from leviers.reference import reference_dir

REPO = Path(__file__).resolve().parents[2]


def test_rebuild_is_identical(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_reference", REPO / "tools" / "build_reference.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--out", str(tmp_path)])
    for name in (
        "collectivites.csv.gz",
        "communes.csv.gz",
        "epci.csv",
        "departements.csv",
        "regions.csv",
        "manifest.json",
    ):
        assert (tmp_path / name).read_bytes() == (reference_dir() / name).read_bytes(), name
