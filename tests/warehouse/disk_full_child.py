"""Run `leviers ingest` on a small filesystem that is nearly full (tests/warehouse/test_fault_injection.py).

Run inside a private mount namespace (`unshare --mount`): it mounts a tmpfs of the given size on
`mount`, copies the warehouse there, fills the space but `free` bytes, runs the command, then
frees the space and copies the warehouse back out for the test to inspect. It prints what it saw
as JSON. The namespace, and the filesystem with it, disappear when it ends.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


def fill(directory: Path, free: int) -> Path:
    """A file taking all the space of `directory`'s filesystem but `free` bytes (really allocated)."""
    filler = directory / "remplissage"
    size = shutil.disk_usage(directory).free - free
    with filler.open("wb") as handle:
        os.posix_fallocate(handle.fileno(), 0, max(size, 1))
    return filler


def main() -> None:
    spec = json.loads(sys.argv[1])
    mount, out = Path(spec["mount"]), Path(spec["out"])
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={spec['size']}", "tmpfs", str(mount)], check=True)
    try:
        warehouse = mount / "leviers.duckdb"
        shutil.copyfile(spec["warehouse"], warehouse)
        tmpdir = mount / "tmp" if spec.get("tmpdir_on_full_disk") else Path(spec["tmpdir"])
        tmpdir.mkdir(exist_ok=True)
        filler = fill(mount, spec["free"])
        env = {**os.environ, "TMPDIR": str(tmpdir), "LEVIERS_CACHE_DIR": spec["cache"]}
        result = subprocess.run(
            [sys.executable, "-m", "leviers", "ingest", "--db", str(warehouse), "--json", *spec["files"]],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
            check=False,
        )
        left = sorted(str(path.relative_to(mount)) for path in mount.rglob("*"))
        temporary = sorted(path.name for path in tmpdir.iterdir())
        filler.unlink()
        for path in mount.glob("leviers.duckdb*"):
            if path.is_file():
                shutil.copyfile(path, out / path.name)
    finally:
        subprocess.run(["umount", str(mount)], check=False)
    print(
        json.dumps(
            {
                "returncode": result.returncode,
                "stdout": result.stdout,
                "stderr": result.stderr,
                "left": left,
                "temporary": temporary,
            }
        )
    )


if __name__ == "__main__":
    main()
