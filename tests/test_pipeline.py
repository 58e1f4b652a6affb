"""The whole path on the real engine: files -> MIME -> prompts -> vLLM -> grounded JSONL records."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path

import pytest

from extractor.config import EngineOptions
from extractor.runner import RunConfig, run
from extractor.settings import load_settings

pytestmark = [pytest.mark.engine, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[1]
MBOX = REPO / "examples" / "italian.mbox"


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def outputs(out: Path) -> tuple[list[dict], list[dict]]:
    """Records and error records of a run: what the tiny model's output decides is which file a message is in."""
    return read_jsonl(out), read_jsonl(out.with_name(out.stem + ".errors.jsonl"))


@pytest.fixture
def maildir_with_pec(tmp_path: Path) -> Path:
    """A Maildir whose INBOX has two messages and whose .PEC subfolder has one."""
    root = tmp_path / "Maildir"
    md = mailbox.Maildir(str(root), create=True)
    msgs = list(mailbox.mbox(str(MBOX)))
    for m in msgs[:2]:
        md.add(m)
    md.add_folder("PEC").add(msgs[2])
    return root


def config(tiny_model: Path, tiny_adapters: dict[str, Path], inputs: list[Path], out: Path, **kw) -> RunConfig:
    adapters = tuple(f"{n}={p}" for n, p in tiny_adapters.items())
    return RunConfig(inputs=tuple(map(str, inputs)), model=str(tiny_model), adapters=adapters, output=out,
                     shots=0, max_tokens=160, engine=EngineOptions(max_model_len=2048), progress=False, settings=load_settings(), **kw)


def test_records_errors_routing_and_offsets(engine, tiny_model, tiny_adapters, maildir_with_pec, tmp_path):
    outlook = tmp_path / "outlook.msg"
    outlook.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    out = tmp_path / "out.jsonl"
    cfg = config(tiny_model, tiny_adapters, [MBOX, maildir_with_pec, outlook], out, routes=("PEC=beta", "*.mbox=base"))
    summary = run(cfg, engine=engine)

    records, errors = outputs(out)
    # 5 mbox messages + 3 Maildir copies of 3 of them: the copies are duplicates by Message-ID.
    # Whether the tiny model's answer for a message parses decides records vs extract errors, not the count.
    extract_errors = [e for e in errors if e["stage"] == "extract"]
    assert summary.messages == len(records) and summary.messages + len(extract_errors) == 5
    assert summary.duplicates == 3
    assert [e["source"] for e in errors if e["stage"] != "extract"] == [str(outlook)]
    assert "Outlook" in next(e for e in errors if e["source"] == str(outlook))["reason"]
    assert summary.errors == len(errors)
    assert {r["key"] for r in records + extract_errors} == {r["key"] for r in records + extract_errors
                                                              if r["source"] == str(MBOX)}
    for rec in records + extract_errors:
        assert rec["model"] == str(tiny_model)
        assert rec["adapter"] is None  # *.mbox routed to the base model
    for rec in records:
        assert rec["schema"] == "italian_email"
        assert rec["prompt_tokens"] > 0 and rec["completion_tokens"] > 0
        assert rec["message_id"] and rec["subject"] and rec["from"]
        for ent in rec["entities"]:
            assert rec["text"][ent["start"]:ent["end"]] == ent["text"]
    assert (out.stat().st_mode & 0o777) == 0o600


def test_routes_pick_adapters_per_folder(engine, tiny_model, tiny_adapters, maildir_with_pec, tmp_path):
    out = tmp_path / "out.jsonl"
    summary = run(config(tiny_model, tiny_adapters, [maildir_with_pec], out, routes=("PEC=beta",)), engine=engine)
    records, errors = outputs(out)
    # Routing is the code's decision: records and error records both say which adapter served each message.
    assert len(records) + len(errors) == 3 == summary.messages + summary.errors
    by_folder = {(r.get("folder") or "INBOX"): r["adapter"] for r in records + errors}
    assert by_folder == {"INBOX": "alpha", "PEC": "beta"}  # unmatched -> first adapter


def test_resume_skips_done_and_restart_starts_over(engine, tiny_model, tiny_adapters, tmp_path):
    out = tmp_path / "out.jsonl"
    first = run(config(tiny_model, tiny_adapters, [MBOX], out), engine=engine)
    before = outputs(out)
    again = run(config(tiny_model, tiny_adapters, [MBOX], out), engine=engine)
    assert first.messages + first.errors == 5 and again.messages == again.errors == 0 and again.skipped == 5
    assert outputs(out) == before
    restarted = run(config(tiny_model, tiny_adapters, [MBOX], out, restart=True), engine=engine)
    records, errors = outputs(out)
    assert restarted.messages + restarted.errors == 5 == len(records) + len(errors)


def test_stdout_output_without_text(engine, tiny_model, tiny_adapters, tmp_path, capsys):
    src = tmp_path / "one.eml"
    src.write_bytes(b"From: a@b.it\nSubject: prova\nMessage-ID: <x@y>\n\nCiao Mario Rossi da Milano.\n")
    cfg = RunConfig(inputs=(str(src),), model=str(tiny_model), adapters=tuple(f"{n}={p}" for n, p in tiny_adapters.items()),
                    shots=0, max_tokens=160, engine=EngineOptions(max_model_len=2048), progress=False, include_text=False,
                    settings=load_settings())
    summary = run(cfg, engine=engine)
    captured = capsys.readouterr()
    # A record on stdout, or (if the tiny model's answer does not parse) an error record on stderr.
    lines = captured.out.splitlines() if summary.messages else [x for x in captured.err.splitlines() if x.startswith("{")]
    (rec,) = [json.loads(line) for line in lines]
    assert rec["message_id"] == "<x@y>" and "text" not in rec
