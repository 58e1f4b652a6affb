"""Pipeline logic on a scripted engine: streamed records, isolated failures, prompts that fit.

No vLLM here: :class:`scripted_engine.ScriptedEngine` has the real engine's submit/step
interface and a one-token-per-character tokenizer. Each assertion is about what the pipeline
decides (what is written when, which message fails and why), not about a model's output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scripted_engine import ScriptedEngine

from extractor.adapters import Router
from extractor.methods.generative import GenerativeMethod
from extractor.pipeline import ExtractOptions, Extractor
from extractor.records import ErrorRecord, Flush, RawMessage
from extractor.sinks import JsonlSink
from extractor.state import StateStore
from schemas import load_schema

SCHEMA = load_schema("italian_email")


def answer_roma(text: str) -> str:
    return json.dumps({"entities": [{"text": "Roma", "label": "LOC"}] if "Roma" in text else []})


def raw(i: int, body: str = "", folder: str | None = None) -> RawMessage:
    body = body or f"Ci vediamo a Roma, messaggio {i}.\n"
    data = f"Message-ID: <{i}@x.it>\nSubject: s{i}\nFrom: a@b.it\n\n{body}".encode()
    return RawMessage("inbox", str(i), data, folder=folder)


def extractor(engine: ScriptedEngine, shots: int = 0, max_tokens: int = 64, batch_size: int = 4,
              router: Router | None = None) -> Extractor:
    options = ExtractOptions(schema=SCHEMA, shots=shots, max_tokens=max_tokens, batch_size=batch_size)
    return Extractor(GenerativeMethod(engine, options), options, model_name="scripted",  # type: ignore[arg-type]
                     router=router)


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


class RecordingSink(JsonlSink):
    """A JSONL sink that remembers at which engine step each record was committed."""

    def __init__(self, path: Path, engine: ScriptedEngine) -> None:
        super().__init__(path)
        self.engine = engine
        self.committed_at: list[int] = []
        self._uncommitted = 0

    def write(self, record: dict) -> None:
        super().write(record)
        self._uncommitted += 1

    def commit(self) -> None:
        super().commit()
        self.committed_at += [self.engine.step_count] * self._uncommitted
        self._uncommitted = 0


def test_records_are_written_as_messages_finish_not_at_the_end(tmp_path):
    engine = ScriptedEngine(answer_roma, steps=3)
    sink = RecordingSink(tmp_path / "out.jsonl", engine)
    summary = extractor(engine, batch_size=2).run([raw(i) for i in range(6)], sink, JsonlSink(tmp_path / "e.jsonl"))
    assert summary.messages == 6
    # Two in flight at a time, three steps each: records land at steps 3, 6 and 9, not all at the end.
    assert sink.committed_at == [3, 3, 6, 6, 9, 9]
    assert engine.step_count == 9


def test_a_refused_request_is_an_error_record_and_the_others_are_extracted(tmp_path):
    engine = ScriptedEngine(answer_roma, refuse=lambda text: "messaggio 2" in text)
    out, err = tmp_path / "out.jsonl", tmp_path / "err.jsonl"
    summary = extractor(engine).run([raw(i) for i in range(5)], JsonlSink(out), JsonlSink(err))
    assert sorted(r["key"] for r in read(out)) == ["0", "1", "3", "4"]
    (error,) = read(err)
    assert error["key"] == "2" and error["stage"] == "extract" and "refused" in error["reason"]
    assert summary.messages == 4 and summary.errors == 1


def test_a_failed_step_fails_the_messages_in_flight_and_the_run_goes_on(tmp_path):
    engine = ScriptedEngine(answer_roma, steps=1, fail_step=lambda step: step == 2)
    out, err = tmp_path / "out.jsonl", tmp_path / "err.jsonl"
    summary = extractor(engine, batch_size=2).run([raw(i) for i in range(6)], JsonlSink(out), JsonlSink(err))
    assert sorted(r["key"] for r in read(err)) == ["2", "3"]
    assert all("scripted step failure" in r["reason"] for r in read(err))
    assert sorted(r["key"] for r in read(out)) == ["0", "1", "4", "5"]
    assert summary.messages + summary.errors == 6
    assert not engine.has_unfinished()


def test_error_records_carry_the_routing_facts_of_records(tmp_path):
    engine = ScriptedEngine(answer_roma, refuse=lambda text: "PEC" in text)
    router = Router.build([("PEC", "beta")], {"alpha": None, "beta": None})
    out, err = tmp_path / "out.jsonl", tmp_path / "err.jsonl"
    items = [raw(0, folder="INBOX"), raw(1, "Ricevuta PEC da Roma\n", folder="PEC"),
             ErrorRecord("inbox", "9", "read", "message larger than 10 bytes", folder="PEC")]
    extractor(engine, router=router).run(items, JsonlSink(out), JsonlSink(err))
    (record,) = read(out)
    assert (record["folder"], record["model"], record["adapter"]) == ("INBOX", "scripted", "alpha")
    errors = {r["key"]: r for r in read(err)}
    assert {k: (r["folder"], r["model"], r["adapter"]) for k, r in errors.items()} == {
        "1": ("PEC", "scripted", "beta"), "9": ("PEC", "scripted", "beta")}


@pytest.mark.parametrize(("shots", "max_model_len", "max_tokens", "reason"), [
    pytest.param(2, 1200, 64, "the prompt without any message text is", id="few-shot-prompt-alone-too-long"),
    pytest.param(0, 600, 600, "raise --max-model-len, lower --max-tokens, or use --shots 0", id="no-room-left"),
])
def test_a_prompt_that_cannot_fit_is_an_error_record_that_says_what_to_do(tmp_path, shots, max_model_len,
                                                                          max_tokens, reason):
    engine = ScriptedEngine(answer_roma, max_model_len=max_model_len)
    out, err = tmp_path / "out.jsonl", tmp_path / "err.jsonl"
    summary = extractor(engine, shots=shots, max_tokens=max_tokens).run([raw(0), raw(1)], JsonlSink(out),
                                                                         JsonlSink(err))
    assert read(out) == [] and summary.errors == 2
    assert all(reason in r["reason"] for r in read(err))
    assert engine.submitted == []


@pytest.mark.parametrize("body", [
    pytest.param("Roma " * 3000 + "\n", id="one-long-paragraph"),
    pytest.param("日本語のテキスト、ローマで会いましょう。" * 400 + "\n", id="japanese-one-line"),
    pytest.param("QUJD" * 60_000 + "\n", id="base64-blob-one-line"),
    pytest.param(("Ciao da Roma.\n\n" * 2000), id="many-paragraphs"),
])
def test_long_texts_become_chunks_that_all_fit(tmp_path, body):
    """With one token per character, every prompt the planner submits fits the context."""
    engine = ScriptedEngine(answer_roma, max_model_len=2048)
    out, err = tmp_path / "out.jsonl", tmp_path / "err.jsonl"
    summary = extractor(engine, max_tokens=128).run([raw(0, body)], JsonlSink(out), JsonlSink(err))
    assert summary.messages == 1 and summary.errors == 0
    (record,) = read(out)
    assert record["chunks"] == len(engine.submitted) > 1
    assert all(n + 128 <= 2048 for _, _, n in engine.submitted)
    for ent in record["entities"]:
        assert record["text"][ent["start"]:ent["end"]] == ent["text"]


def test_flush_finishes_what_is_in_flight_before_reading_on(tmp_path):
    """A live source yields Flush before it blocks: every message before it is written by then."""
    engine = ScriptedEngine(answer_roma, steps=2)
    out = tmp_path / "out.jsonl"
    written_before_block: list[int] = []

    def source():
        yield raw(0)
        yield raw(1)
        yield Flush()
        written_before_block.append(len(read(out)))  # the source would block here
        yield raw(2)

    extractor(engine, batch_size=8).run(source(), JsonlSink(out), JsonlSink(tmp_path / "e.jsonl"))
    assert written_before_block == [2]
    assert len(read(out)) == 3


def test_resume_skips_what_is_done_and_counts_it(tmp_path):
    engine = ScriptedEngine(answer_roma)
    out, err = tmp_path / "out.jsonl", tmp_path / "err.jsonl"
    with StateStore(tmp_path / "state.sqlite") as state:
        first = extractor(engine).run([raw(i) for i in range(3)], JsonlSink(out), JsonlSink(err), state)
        again = extractor(engine).run([raw(i) for i in range(4)], JsonlSink(out), JsonlSink(err), state)
    assert (first.messages, again.messages, again.skipped) == (3, 1, 3)
    assert sorted(r["key"] for r in read(out)) == ["0", "1", "2", "3"]


def test_extract_texts_keeps_input_order_whatever_finishes_first(tmp_path):
    engine = ScriptedEngine(answer_roma, steps=lambda text: 5 if "lunghissimo" in text else 1)
    texts = ["lunghissimo a Roma", "corto", "lunghissimo", "corto a Roma"]
    results = extractor(engine).extract_texts(texts)
    assert [[e.text for e in r.entities] for r in results] == [["Roma"], [], [], ["Roma"]]
    out = tmp_path / "out.jsonl"
    extractor(engine).run([raw(0, "lunghissimo a Roma\n"), raw(1, "corto\n")], JsonlSink(out),
                          JsonlSink(tmp_path / "e.jsonl"))
    assert [r["key"] for r in read(out)] == ["1", "0"]  # records are written in the order they finish
