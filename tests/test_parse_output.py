"""From one completion to entity pairs: complete JSON, salvaged cuts, and unusable output."""

from __future__ import annotations

import json

import pytest

from extractor.engine import Generation
from extractor.errors import MessageError
from extractor.outputs import parse_output
from schemas import load_schema

ROMA = '{"text": "Roma", "label": "LOC"}'
ENEL = '{"text": "Enel", "label": "ORG"}'


def gen(text: str, finish: str) -> Generation:
    return Generation(text=text, prompt_tokens=10, completion_tokens=5, finish_reason=finish)


PARSED = [
    pytest.param(f'{{"entities": [{ROMA}, {ENEL}]}}', "stop", [("Roma", "LOC"), ("Enel", "ORG")], None, id="complete"),
    pytest.param('  {"entities": []}\n', "stop", [], None, id="none-found"),
    pytest.param(f'{{"entities": [{ROMA}, {ENEL}, {{"text": "Mil', "length", [("Roma", "LOC"), ("Enel", "ORG")],
                 "length", id="cut-at-max-tokens-keeps-complete-entities"),
    pytest.param(f'{{"entities": [{ROMA}, {ENEL}, {ENEL}, {ENEL}, {{"te', "repetition",
                 [("Roma", "LOC"), ("Enel", "ORG"), ("Enel", "ORG"), ("Enel", "ORG")], "repetition",
                 id="loop-stop-keeps-entities-before-the-cut"),
]


@pytest.mark.parametrize(("text", "finish", "pairs", "cut"), PARSED)
def test_parsed(text: str, finish: str, pairs: list[tuple[str, str]], cut: str | None) -> None:
    assert parse_output(gen(text, finish), load_schema("italian_email").output_model(), 512) == (pairs, cut)


UNUSABLE = [
    pytest.param("", "stop", "empty text", id="empty"),
    pytest.param('{"entities": [{"te', "stop", "not valid JSON", id="invalid-json-that-was-not-cut"),
    pytest.param('{"entities": [{"te', "length", "cut at max_tokens=512 before the first entity", id="cut-before-any-entity"),
    pytest.param('{"entities": [{"te', "repetition", "stopped repeating itself before the first entity", id="loop-before-any-entity"),
    pytest.param('{"entities": [{"text": "Roma", "label": "CITY"}]}', "stop", "does not match the schema",
                 id="label-outside-the-schema"),
]


@pytest.mark.parametrize(("text", "finish", "message"), UNUSABLE)
def test_unusable(text: str, finish: str, message: str) -> None:
    with pytest.raises(MessageError, match=message):
        parse_output(gen(text, finish), load_schema("italian_email").output_model(), 512)


def test_a_looped_message_keeps_its_entities_and_is_flagged(tmp_path):
    from scripted_engine import ScriptedEngine

    from extractor.pipeline import ExtractOptions, Extractor
    from extractor.records import RawMessage
    from extractor.sinks import JsonlSink

    looping = (f'{{"entities": [{ROMA}, {ENEL}, {ENEL}, {ENEL}, {{"te', "repetition")
    engine = ScriptedEngine(lambda text: looping if "Roma 0" in text else f'{{"entities": [{ROMA}]}}')
    from extractor.methods.generative import GenerativeMethod

    options = ExtractOptions(schema=load_schema("italian_email"))
    ex = Extractor(GenerativeMethod(engine, options), options, model_name="scripted")
    raw = [RawMessage("inbox", str(i), f"Message-ID: <{i}@x>\nSubject: s\n\nEnel apre a Roma {i}.\n".encode())
           for i in range(2)]
    out = tmp_path / "out.jsonl"
    summary = ex.run(raw, JsonlSink(out), JsonlSink(tmp_path / "errors.jsonl"))
    looped, plain = sorted((json.loads(line) for line in out.read_text().splitlines()), key=lambda r: r["key"])
    assert looped["looped"] is True and looped["truncated"] is True
    assert {(e["text"], e["label"]) for e in looped["entities"]} == {("Roma", "LOC"), ("Enel", "ORG")}
    assert "looped" not in plain and "truncated" not in plain
    assert summary.messages == 2 and summary.errors == 0 and summary.looped == 1
    assert summary.to_dict()["looped"] == 1
