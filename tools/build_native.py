"""Compile the small C helpers shipped as source (loaded with ctypes, no Python C API).

Why a C helper: splitting a multi-gigabyte JSON document into records is a byte loop that
numpy can only do at ~0.3 GB/s; the C loop runs at several GB/s. The package works without it
(pure-numpy fallback, same results, tested against each other), only slower. Likewise the
marché extractor (jsonextract.c): without it, records are parsed by DuckDB's json_transform.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_NATIVE = ROOT / "src" / "leviers" / "decp" / "_native"
SOURCES = [_NATIVE / "jsonsplit.c", _NATIVE / "jsonextract.c", _NATIVE / "canonical.c"]


def library_path(source: Path) -> Path:
    return source.with_name(f"_{source.stem}.so")


def main() -> int:
    compiler = shlex.split(sysconfig.get_config_var("CC") or "cc")
    for source in SOURCES:
        target = library_path(source)
        command = [*compiler, "-O3", "-fPIC", "-shared", "-o", str(target), str(source)]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            print(f"échec de la compilation de {source.name} :\n{result.stderr}", file=sys.stderr)
            return result.returncode
        print(f"compilé : {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
