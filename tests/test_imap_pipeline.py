"""IMAP through the whole pipeline: a real Dovecot, the real engine, the same JSONL records as files."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from imap_server import Account, dovecot_server, imap_account, make_message

from extractor.config import EngineOptions
from extractor.runner import RunConfig, run
from extractor.settings import load_settings
from extractor.sources.imap import PASSWORD_ENV
from extractor.sources.imap.options import ImapOptions

__all__ = ["dovecot_server", "imap_account"]
pytestmark = [pytest.mark.imap, pytest.mark.engine, pytest.mark.slow]


def config(account: Account, tiny_model: Path, tiny_adapters: dict[str, Path], out: Path, **imap) -> RunConfig:
    return RunConfig(inputs=(account.url("INBOX"),), model=str(tiny_model), output=out, shots=0, max_tokens=96,
                     engine=EngineOptions(max_model_len=2048), progress=False,
                     imap=ImapOptions(ca_file=account.server.ca, **imap),
                     adapters=tuple(f"{n}={p}" for n, p in tiny_adapters.items()), settings=load_settings())


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def written(out: Path) -> list[dict]:
    """Records and error records: which of the two a message lands in is the tiny model's doing."""
    return lines(out) + lines(out.with_name(out.stem + ".errors.jsonl"))


def test_incremental_passes_write_each_message_once(engine, tiny_model, tiny_adapters, imap_account, tmp_path,
                                                     monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    imap_account.append("INBOX", *(make_message(f"m{i}", body=f"Ciao Mario Rossi {i}\n") for i in range(3)))
    out = tmp_path / "imap.jsonl"
    first = run(config(imap_account, tiny_model, tiny_adapters, out), engine=engine)
    assert first.messages + first.errors == 3
    imap_account.append("INBOX", *(make_message(f"n{i}") for i in range(2)))
    second = run(config(imap_account, tiny_model, tiny_adapters, out), engine=engine)
    assert second.messages + second.errors == 2
    records = written(out)
    assert sorted(r["uid"] for r in records) == [1, 2, 3, 4, 5]
    assert {r["source"] for r in records} == {imap_account.url("INBOX")}
    assert all(r["folder"] == "INBOX" and "password" not in json.dumps(r) for r in records)
    assert all(b"\\Seen" not in flags for flags in imap_account.flags().values())


def test_watch_picks_up_new_mail_and_stops_cleanly(engine, tiny_model, tiny_adapters, imap_account, tmp_path,
                                                   monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    imap_account.append("INBOX", make_message("first"))
    out = tmp_path / "watch.jsonl"
    stop = threading.Event()
    result: dict = {}
    job = threading.Thread(target=lambda: result.update(
        summary=run(config(imap_account, tiny_model, tiny_adapters, out, watch=True, interval=1.0), stop,
                    engine=engine)))
    job.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(written(out)) < 1:
        time.sleep(0.2)
    imap_account.append("INBOX", make_message("second"))
    while time.monotonic() < deadline and len(written(out)) < 2:
        time.sleep(0.2)
    stop.set()  # what SIGTERM does in the CLI
    job.join(30)
    assert not job.is_alive()
    assert result["summary"].messages + result["summary"].errors == 2
    assert sorted(r["uid"] for r in written(out)) == [1, 2]
