"""One engine per process: a script runs itself once per side (``--one SIDE``) and collects what
each child reports on its ``RESULT`` line."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import Measure


def parse_or_run_child(p: argparse.ArgumentParser,
                       child: Callable[[argparse.Namespace], None]) -> argparse.Namespace | None:
    """Parse the arguments; in a child started by :func:`run_children` (``--one SIDE``) run
    ``child(args)`` and return None, else return the arguments for the parent."""
    p.add_argument("--one", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        child(args)
        return None
    return args


def run_children(script: str, sides: list[str], argv: list[str]) -> dict[str, dict[str, Any]]:
    """Run ``script --one SIDE`` per side (one engine per process), echo its report lines
    (those starting with three spaces), and collect the JSON it prints after ``RESULT ``.
    The full output of each child (vLLM's log included) goes to a file named on screen."""
    results: dict[str, dict[str, Any]] = {}
    for side in sides:
        log = Path(tempfile.mkstemp(prefix=f"{Path(script).stem}-{side.replace(' ', '_')}-", suffix=".log")[1])
        print(f"-- {side} (full log: {log})", flush=True)
        with subprocess.Popen([sys.executable, script, *argv, "--one", side], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) as proc, open(log, "w") as out:
            assert proc.stdout is not None
            tail: list[str] = []
            for line in proc.stdout:
                out.write(line)
                tail = [*tail[-30:], line.rstrip()]
                if line.startswith("RESULT "):
                    results[side] = json.loads(line[len("RESULT "):])
                elif line.startswith("   "):
                    print(line.rstrip(), flush=True)
        if proc.returncode != 0:
            print(f"   {side} failed (exit {proc.returncode}); last lines:", *tail[-10:], sep="\n   ", flush=True)
    return results


def result_line(measures: dict[str, Measure], **extra: Any) -> None:
    """The child side of :func:`run_children`."""
    data = {k: {"seconds": m.seconds, "messages": m.messages, "prompt_tokens": m.prompt_tokens,
                "completion_tokens": m.completion_tokens, "unparsed": m.unparsed} for k, m in measures.items()}
    print("RESULT " + json.dumps({"measures": data, **extra}), flush=True)


def measure_from(label: str, d: dict[str, Any]) -> Measure:
    """A :class:`~benchmarks.harness.Measure` from one measure of a child's ``RESULT`` line."""
    m = Measure(label)
    m.add(d["seconds"], d["messages"], d["prompt_tokens"], d["completion_tokens"], d["unparsed"])
    return m
