"""The machine a benchmark ran on: CPU model, load, library versions and git revision, printed
as the header and footer of every report."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def cpu_model() -> str:
    """The CPU model name from ``/proc/cpuinfo`` (else ``platform.processor()``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load() -> str:
    """The 1, 5 and 15 minute load averages, ``a/b/c``."""
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def machine_info() -> dict[str, Any]:
    """Date, cores, CPU, load, Python and torch versions, torch threads, ``OMP_NUM_THREADS``, git revision."""
    import torch

    return {
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu_model(),
        "load_1_5_15": load(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "(unset)"),
        "git": git_rev(),
    }


def git_rev() -> str:
    """The short git revision of the checkout (``?`` when git cannot tell)."""
    try:
        return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], check=False,
                              capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def header(title: str) -> None:
    """The first lines of a report: its title, the command line and :func:`machine_info`."""
    cmd = " ".join(shlex.quote(a) for a in sys.argv)
    print(f"== {title}")
    print(f"   command: {cmd}")
    print("   " + "  ".join(f"{k}={v}" for k, v in machine_info().items()), flush=True)


def footer() -> None:
    """The load and torch threads at the end of a run (both drift while it runs)."""
    import torch

    print(f"   load at end: {load()}  torch_threads at end: {torch.get_num_threads()}", flush=True)

