"""Exactly-once for real: kill -9 a CLI run mid-way, re-run, every message appears once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tiny_model import synthetic_examples

pytestmark = [pytest.mark.engine, pytest.mark.slow]


def write_mbox(path: Path, n: int) -> None:
    messages = (
        f"From sender{i}@example.it Mon Mar  4 09:12:00 2024\n"
        f"From: Mittente {i} <sender{i}@example.it>\nSubject: messaggio {i}\n"
        f"Message-ID: <m{i}@example.it>\nContent-Type: text/plain; charset=utf-8\n\n{text}\n\n"
        for i, (text, _) in enumerate(synthetic_examples(n, seed=7))
    )
    path.write_bytes("".join(messages).encode())


def cli(tiny_model: Path, mbox: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "extractor.cli", str(mbox), "--model", str(tiny_model), "--shots", "0",
            "--max-tokens", "96", "--max-model-len", "2048", "--batch-size", "4", "-o", str(out), "-q"]


def test_kill_minus_nine_then_resume_is_exactly_once(tiny_model, tmp_path, isolated_cache):
    n = 60
    mbox, out = tmp_path / "big.mbox", tmp_path / "out.jsonl"
    write_mbox(mbox, n)
    env = {**os.environ, "VLLM_ENABLE_V1_MULTIPROCESSING": "0", "EXTRACT_ENTITIES_CACHE": str(isolated_cache)}
    proc = subprocess.Popen(cli(tiny_model, mbox, out), env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    errors = out.with_name("out.errors.jsonl")

    def done() -> int:
        return sum(len(p.read_bytes().splitlines()) for p in (out, errors) if p.exists())

    while time.monotonic() < deadline and proc.poll() is None:
        if done() >= 8:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = done()
    assert 8 <= done_before < n
    with open(out, "ab") as fh:  # what a kill during a write leaves behind
        fh.write(b'{"message_id": "<torn')

    subprocess.run(cli(tiny_model, mbox, out), env=env, check=True, stderr=subprocess.DEVNULL, timeout=600)
    # Records and error records together: each message exactly once (which file is the tiny model's doing).
    written = [json.loads(line) for p in (out, errors) if p.exists()
               for line in p.read_text(encoding="utf-8").splitlines()]
    ids = [r["message_id"] for r in written]
    assert sorted(ids) == sorted(f"<m{i}@example.it>" for i in range(n))
