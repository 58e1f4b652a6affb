"""Mail parsing under real and hostile input: the SpamAssassin corpus and the hostile cases, no model.

Parses the 3,000 SpamAssassin messages (``<shared data>/spamassassin``) through ``iter_path`` +
``parse_message`` and prints messages/s; then writes each case of :mod:`benchmarks.hostile_mail`
to a file and parses it in a fresh child process, printing its seconds and the child's peak RSS
(``VmHWM``; the first row is a child that only imports, the floor under every other row).
Markdown tables on stdout; the last line is the corpus throughput.

    .venv/bin/python benchmarks/bench_mail_corpus.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as `python benchmarks/bench_mail_corpus.py`
    sys.path.insert(0, str(REPO))

CHILD_TIMEOUT_S = 120
FOLDERS = ("easy-ham-1", "spam-1")


def _peak_rss_mb() -> float:
    """This process's peak RSS since exec: ``VmHWM`` (``ru_maxrss`` also counts the parent's pages at fork)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _describe(results: list[Any]) -> tuple[str, int]:
    """A short outcome text and the number of error outcomes."""
    from extractor.records import ErrorRecord, Message

    parts, errors = [], 0
    for r in results:
        if isinstance(r, Message):
            parts.append(f"Message, {len(r.text)} chars, {len(r.defects)} defects")
        else:
            errors += 1
            reason = r.reason if isinstance(r, ErrorRecord) else str(r)
            parts.append(f"{type(r).__name__}: {reason[:60]}")
    return "; ".join(parts) or "nothing", errors


def child_case(path: str | None) -> dict[str, Any]:
    """In the child: parse one file (or nothing, for the import floor) and measure."""
    from benchmarks.hostile_mail import outcomes

    if path is None:
        return {"seconds": 0.0, "outcome": "imports only", "peak_rss_mb": round(_peak_rss_mb(), 1)}
    t0 = time.perf_counter()
    results = outcomes(Path(path))
    secs = time.perf_counter() - t0
    outcome, _ = _describe(results)
    return {"seconds": round(secs, 3), "outcome": outcome, "peak_rss_mb": round(_peak_rss_mb(), 1)}


def child_corpus(root: str) -> dict[str, Any]:
    """In the child: every SpamAssassin message, timed as one pass."""
    from benchmarks.hostile_mail import outcomes
    from extractor.records import Message

    files = [p for folder in FOLDERS for p in sorted((Path(root) / folder).glob("*.txt"))]
    size = sum(p.stat().st_size for p in files)
    t0 = time.perf_counter()
    n = errors = empty = 0
    for p in files:
        for r in outcomes(p):
            n += 1
            errors += not isinstance(r, Message)
            empty += isinstance(r, Message) and not r.text.strip()
    secs = time.perf_counter() - t0
    return {"files": len(files), "messages": n, "errors": errors, "empty_text": empty, "mb": round(size / 2**20, 1),
            "seconds": round(secs, 2), "peak_rss_mb": round(_peak_rss_mb(), 1)}


def _run_child(args: list[str]) -> dict[str, Any]:
    try:
        proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                              timeout=CHILD_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return {"seconds": float(CHILD_TIMEOUT_S), "outcome": f"TIMEOUT after {CHILD_TIMEOUT_S} s", "peak_rss_mb": None}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"seconds": None, "outcome": f"CRASH rc={proc.returncode}: {tail[:80]}", "peak_rss_mb": None}
    return json.loads(lines[-1])


def _data_dir(arg: str | None) -> Path | None:
    if arg:
        return Path(arg)
    env = os.environ.get("EXTRACT_ENTITIES_DATA")
    root = Path(env) if env else REPO.parent / "shared" / "data"
    return root / "spamassassin"


def _header() -> None:
    from benchmarks.machine import cpu_model as _cpu_model
    from benchmarks.machine import git_rev as _git_rev
    from benchmarks.machine import load

    print("# Mail parsing: SpamAssassin corpus and hostile cases\n")
    print(f"command: `{' '.join(shlex.quote(a) for a in sys.argv)}`  ")
    print(f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}, nproc={len(os.sched_getaffinity(0))}, "
          f"cpu={_cpu_model()}, load={load()}, python={platform.python_version()}, git={_git_rev()}\n", flush=True)


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="the spamassassin folder (default: <shared data>/spamassassin)")
    ap.add_argument("--cases", help="comma-separated hostile case names (default: all)")
    ap.add_argument("--child-case", nargs="?", const="", help=argparse.SUPPRESS)
    ap.add_argument("--child-corpus", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_case is not None:
        print(json.dumps(child_case(args.child_case or None)))
        return
    if args.child_corpus:
        print(json.dumps(child_corpus(args.child_corpus)))
        return

    from benchmarks.hostile_mail import CASES

    _header()
    cases = [c for c in CASES if not args.cases or c.name in args.cases.split(",")]
    print("## Hostile cases (one child process each)\n")
    print("| case | file MB | seconds | peak RSS MB | outcome |")
    print("|---|---:|---:|---:|---|")
    floor = _run_child(["--child-case"])
    print(f"| (imports only) | - | - | {_fmt(floor['peak_rss_mb'], '.0f')} | {floor['outcome']} |", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            path = case.write(Path(tmp))
            size = path.stat().st_size / 2**20
            res = _run_child(["--child-case", str(path)])
            path.unlink()
            print(f"| {case.name} | {size:.1f} | {_fmt(res['seconds'], '.2f')} | {_fmt(res['peak_rss_mb'], '.0f')} "
                  f"| {res['outcome']} |", flush=True)

    root = _data_dir(args.data)
    print("\n## SpamAssassin corpus (one child process)\n")
    if root is None or not all((root / f).is_dir() for f in FOLDERS):
        print(f"skipped: {root} not found (set EXTRACT_ENTITIES_DATA or pass --data)")
        return
    res = _run_child(["--child-corpus", str(root)])
    if "messages" not in res:
        print(f"failed: {res['outcome']}")
        return
    rate = res["messages"] / res["seconds"]
    print("| messages | errors | empty text | MB | seconds | messages/s | MB/s | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {res['messages']} | {res['errors']} | {res['empty_text']} | {res['mb']} | {res['seconds']:.2f} | "
          f"{rate:.0f} | {res['mb'] / res['seconds']:.1f} | {res['peak_rss_mb']:.0f} |")
    print(f"\nRESULT SpamAssassin: {rate:.0f} messages/s ({res['messages']} messages, {res['errors']} errors)")


if __name__ == "__main__":
    main()
