"""``--server``: extraction as a client of a real ``vllm serve`` (tiny model + LoRA adapters).

The same mailboxes go through the in-process engine and the server; the records must be equal.
A server killed mid-run stops the run with one line; once it is back, the run resumes with no
message lost or doubled.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from tiny_model import synthetic_examples
from vllm_server import API_KEY, VllmServer

from extractor.cli import main
from extractor.client.options import ServerOptions
from extractor.config import EngineOptions
from extractor.runner import RunConfig, run
from extractor.settings import load_settings


def write_mbox(path: Path, n: int, first: int = 0) -> None:
    """``n`` synthetic messages with Message-IDs ``<m{first}@example.it>`` onwards."""
    path.write_bytes("".join(
        f"From sender{i}@example.it Mon Mar  4 09:12:00 2024\n"
        f"From: Mittente {i} <sender{i}@example.it>\nSubject: messaggio {i}\n"
        f"Message-ID: <m{i}@example.it>\nContent-Type: text/plain; charset=utf-8\n\n{text}\n\n"
        for i, (text, _) in enumerate(synthetic_examples(n, seed=first), start=first)).encode())


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def config(tiny_model: Path, inputs: list[Path], out: Path, adapters: tuple[str, ...], **kw) -> RunConfig:
    return RunConfig(inputs=tuple(map(str, inputs)), model=str(tiny_model), adapters=adapters, output=out, shots=0,
                     max_tokens=96, batch_size=4, engine=EngineOptions(max_model_len=2048), progress=False,
                     routes=("a.mbox=alpha", "b.mbox=base", "c.mbox=beta"), settings=load_settings(), **kw)


@pytest.fixture
def mailboxes(tmp_path: Path) -> list[Path]:
    boxes = [tmp_path / name for name in ("a.mbox", "b.mbox", "c.mbox")]
    for i, box in enumerate(boxes):
        write_mbox(box, 4 + i, first=10 * i)
    return boxes


@pytest.mark.engine
@pytest.mark.slow
def test_server_records_equal_in_process_records(engine, vllm_server, tiny_model, tiny_adapters,
                                                 mailboxes, tmp_path, monkeypatch):
    monkeypatch.setenv("EXTRACT_ENTITIES_API_KEY", API_KEY)
    local, remote = tmp_path / "local.jsonl", tmp_path / "remote.jsonl"
    # One request at a time on both sides: a batch of other sequences changes bf16 logits enough to
    # flip a random tiny model's greedy choice, which says nothing about the client.
    here = run(replace(config(tiny_model, mailboxes, local, tuple(f"{n}={p}" for n, p in tiny_adapters.items())),
                       batch_size=1), engine=engine)
    there = run(replace(config(tiny_model, mailboxes, remote, tuple(tiny_adapters),
                               server=ServerOptions(url=vllm_server.url, concurrency=1)), batch_size=1))
    key = lambda r: (r["source"], r["key"])
    ours, theirs = sorted(lines(local), key=key), sorted(lines(remote), key=key)
    assert len(ours) + here.errors == 15
    # Error records in any order: with --concurrency above 1 they are written as requests finish.
    assert sorted((r["key"], r["reason"]) for r in lines(remote.with_name("remote.errors.jsonl"))) == sorted(
        (r["key"], r["reason"]) for r in lines(local.with_name("local.errors.jsonl")))
    assert [r["message_id"] for r in ours] == [r["message_id"] for r in theirs]
    differ = [(a["message_id"], f, a[f], b.get(f)) for a, b in zip(ours, theirs) for f in a if a[f] != b.get(f)]
    assert not differ
    assert ours == theirs
    assert {r["adapter"] for r in theirs} <= {"alpha", "beta", None}
    assert (there.messages, there.errors, there.options["backend"]) == (here.messages, here.errors, "vllm-server")


@pytest.mark.engine
@pytest.mark.slow
def test_server_killed_mid_run_then_restarted_resumes_exactly_once(vllm_server, tiny_model, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setenv("EXTRACT_ENTITIES_API_KEY", API_KEY)
    n = 150
    box, out = tmp_path / "a.mbox", tmp_path / "out.jsonl"
    write_mbox(box, n)
    cfg = config(tiny_model, [box], out, ("alpha", "beta"),
                 server=ServerOptions(url=vllm_server.url, concurrency=1, retries=1, backoff_s=0.1))
    kill_mid_run_then_resume(cfg, vllm_server, n, out)


def kill_mid_run_then_resume(cfg: RunConfig, server: VllmServer, n: int, out: Path) -> None:
    """Run ``cfg`` (``n`` messages ``<m0..>``), kill ``server`` once 5 are written, check the run stopped
    with one line naming the URL, restart the server and rerun: every message once, none failed for it."""
    errors = out.with_name(out.stem + ".errors.jsonl")
    failure: list[BaseException] = []

    def first_run() -> None:
        try:
            run(cfg)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failure.append(exc)

    worker = threading.Thread(target=first_run)
    worker.start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and worker.is_alive() and len(lines(out)) + len(lines(errors)) < 5:
        time.sleep(0.02)
    assert worker.is_alive(), f"the run ended before the server could be killed: {failure or len(lines(out))}"
    server.kill()
    worker.join(timeout=120)
    assert not worker.is_alive()
    assert failure and "did not answer" in str(failure[0]) and server.url in str(failure[0])
    before = len(lines(out)) + len(lines(errors))
    assert 5 <= before < n

    server.start()
    run(cfg)
    written = lines(out) + lines(errors)
    assert sorted(r["message_id"] for r in written) == sorted(f"<m{i}@example.it>" for i in range(n))
    assert not any("did not answer" in r.get("reason", "") for r in lines(errors))


@pytest.mark.engine
@pytest.mark.slow
@pytest.mark.parametrize("adapter,key,words", [
    pytest.param("gamma", API_KEY, ("serves no LoRA adapter named gamma", "alpha, beta", "--lora-modules"),
                 id="unknown-adapter"),
    pytest.param("alpha", "wrong-key", ("refused the API key", "EXTRACT_ENTITIES_API_KEY"), id="wrong-key"),
])
def test_misconfigured_server_run_is_one_line(vllm_server, tiny_model, mailboxes, tmp_path, monkeypatch,
                                              adapter, key, words):
    monkeypatch.setenv("EXTRACT_ENTITIES_API_KEY", key)
    result = CliRunner().invoke(main, [str(mailboxes[0]), "--model", str(tiny_model), "--server", vllm_server.url,
                                       "--adapter", adapter, "-o", str(tmp_path / "o.jsonl"), "-q"])
    assert result.exit_code == 1
    message = result.output.strip()
    assert len(message.splitlines()) == 1 and all(w in message for w in words)
    assert key not in message or key == API_KEY and "wrong" not in message


@pytest.mark.parametrize("args,words", [
    pytest.param(["--server", "http://127.0.0.1:9/v1"], ("cannot reach the vLLM server at http://127.0.0.1:9/v1",
                                                         "vllm serve"), id="unreachable"),
    pytest.param(["--server", "gpu-box:8000"], ("--server must be an http",), id="not-a-url"),
    pytest.param(["--server", "http://127.0.0.1:9/v1", "--merge", "--adapter", "a"], ("--merge does not apply",),
                 id="merge"),
    pytest.param(["--server", "http://127.0.0.1:9/v1", "--method", "tokens"],
                 ("tokens method through --server needs its one adapter's local copy", "extract-entities merge"),
                 id="tokens-without-a-local-adapter"),
])
def test_server_options_fail_with_one_line(tmp_path, monkeypatch, args, words):
    monkeypatch.setenv("EXTRACT_ENTITIES_API_KEY", "s3cret")
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    box = tmp_path / "a.mbox"
    write_mbox(box, 1)
    result = CliRunner().invoke(main, [str(box), "--model", str(model), *args, "-q"])
    assert result.exit_code == 1, result.output
    message = result.output.strip()
    assert len(message.splitlines()) == 1 and all(w in message for w in words), message
    assert "s3cret" not in message
