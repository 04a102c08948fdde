"""What benchmarks share: the machine's description, timing commands in fresh processes (wall
time and peak memory of the process tree's largest process), medians and paired ratios."""

from __future__ import annotations

import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "docs" / "benchmarks"
WORK = REPO / ".bench"


@dataclass
class Run:
    wall_s: float
    peak_mb: float
    returncode: int
    # CPU time (user + system) of the process and the children it waited for: on a shared machine
    # it varies much less than wall time.
    cpu_s: float = 0.0


def machine() -> str:
    """CPU model, cores, memory, OS and Python: printed with every result."""
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return (
        f"{model}, {os.cpu_count()} cores, {memory_gb:.0f} GB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def run(command: list[str], env: dict[str, str] | None = None, timeout: float = 3600) -> Run:
    """Run `command` in a fresh process; wall time and the peak resident memory of its largest process."""
    start = time.monotonic()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **(env or {})}
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - start
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({code}):\n{stderr[-2000:]}")
    del timeout
    return Run(
        wall_s=wall, peak_mb=usage.ru_maxrss / 1024, returncode=code, cpu_s=usage.ru_utime + usage.ru_stime
    )


def paired(a: list[str], b: list[str], runs: int, before_each: object = None) -> tuple[list[Run], list[Run]]:
    """Run A and B in turn (A B A B …) so that a drifting machine affects both alike."""
    runs_a: list[Run] = []
    runs_b: list[Run] = []
    for _ in range(runs):
        if callable(before_each):
            before_each()
        runs_a.append(run(a))
        if callable(before_each):
            before_each()
        runs_b.append(run(b))
    return runs_a, runs_b


def median(values: list[float]) -> float:
    return statistics.median(values)


def write(name: str, markdown: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.md"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    path.write_text(f"{markdown.rstrip()}\n\n_Measured {stamp} on: {machine()}._\n", encoding="utf-8")
    return path


def run_worker(module: str, name: str) -> dict[str, Any]:
    """Run `module.WORKERS[name]()` in a fresh process (its own imports and peak memory) and
    return its result, read from the JSON printed on the last line of its output."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", f"from bench.harness import worker_main; worker_main({module!r}, {name!r})"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker {name} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = time.perf_counter() - started
    return result


def worker_main(module: str, name: str) -> None:
    """The worker process of run_worker."""
    result = importlib.import_module(module).WORKERS[name]()
    sys.stdout.flush()
    print(json.dumps(result, default=str))
