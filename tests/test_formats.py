"""Training target formats: exact renderings, the serving prompt for json, and parsing back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from extractor.prompts import PromptBuilder, answer_json
from schemas import load_schema
from training.examples import Example, Span
from training.formats import (
    ALPACA_PROMPT,
    FORMATS,
    gold_entities,
    parse_completion,
    render_completion,
    render_prompt,
    to_pair,
)

TEXT = "Ieri Mario Rossi ha incontrato a L'Aquila i dirigenti dell'Università di Bologna."


def _example() -> Example:
    spans = [
        Span(TEXT.index("dell'Università") + 5, TEXT.index(" di Bologna") + len(" di Bologna"), "ORG"),
        Span(TEXT.index("Mario"), TEXT.index("Mario") + len("Mario Rossi"), "PER"),
        Span(TEXT.index("L'Aquila"), TEXT.index("L'Aquila") + len("L'Aquila"), "LOC"),
    ]
    return Example(text=TEXT, spans=tuple(spans), id="t:0")


GOLD = [("Mario Rossi", "PER"), ("L'Aquila", "LOC"), ("Università di Bologna", "ORG")]


class FakeChatTokenizer:
    """Stands in for a tokenizer with a chat template: renders messages as tagged turns."""

    chat_template = "fake"

    def apply_chat_template(self, conversation: list[dict[str, str]], **kwargs: Any) -> str:
        turns = "".join(f"<{m['role']}>{m['content']}</{m['role']}>" for m in conversation)
        return turns + ("<assistant>" if kwargs.get("add_generation_prompt") else "")


def test_gold_entities_are_in_text_order_whatever_the_span_order():
    assert gold_entities(_example()) == GOLD


def test_gold_entities_keep_only_the_given_labels():
    assert gold_entities(_example(), labels=["PER", "LOC"]) == GOLD[:2]


def test_json_completion_is_the_schema_answer_json():
    completion = render_completion("json", GOLD)
    assert completion == answer_json(GOLD)
    assert json.loads(completion) == {"entities": [{"text": t, "label": lab} for t, lab in GOLD]}


def test_json_prompt_is_exactly_the_serving_prompt():
    builder = PromptBuilder(load_schema("kind"), 0, "chat", FakeChatTokenizer())
    pair = to_pair("json", _example(), builder)
    assert pair.prompt == builder.render(TEXT)
    assert pair.prompt.endswith(f"<user>{TEXT}</user><assistant>")
    assert pair.completion == answer_json(GOLD)


def test_json_prompt_with_shots_and_plain_format_uses_the_builder_too():
    builder = PromptBuilder(load_schema("italian_email"), 2, "alpaca")
    assert to_pair("json", _example(), builder).prompt == builder.render(TEXT)


def test_json_needs_the_builder():
    with pytest.raises(ValueError, match="PromptBuilder"):
        render_prompt("json", TEXT)


def test_max_entities_bounds_the_target():
    builder = PromptBuilder(load_schema("kind"), 0, "alpaca")
    assert json.loads(to_pair("json", _example(), builder, max_entities=2).completion)["entities"][-1] == {
        "text": "L'Aquila", "label": "LOC"}


def test_alpaca_is_the_seed_prompt_with_label_lines():
    pair = to_pair("alpaca", _example())
    assert pair.prompt == (
        "Below is an instruction that describes a task, paired with an input that provides further context. "
        "Write a response that appropriately completes the request.\n"
        "### Instruction:\nExtract entity from the given input:\n"
        f"### Input:\n{TEXT}\n### Response:\n"
    )
    assert pair.prompt == ALPACA_PROMPT.format(text=TEXT)
    assert pair.completion == "Mario Rossi: PER\nL'Aquila: LOC\nUniversità di Bologna: ORG"


def test_alpaca_puts_a_multiline_surface_on_one_line():
    assert render_completion("alpaca", [("via Roma 12,\nNapoli", "LOC")]) == "via Roma 12, Napoli: LOC"


def test_inst_tags_tags_only_entity_words():
    pair = to_pair("inst-tags", _example())
    assert pair.prompt == f"<s>[INST] {TEXT} [/INST]"
    assert pair.completion == (
        " Mario:B-PER, Rossi:I-PER, L'Aquila:B-LOC, Università:B-ORG, di:I-ORG, Bologna:I-ORG"
    )


def test_no_entities():
    assert render_completion("json", []) == '{"entities": []}'
    assert render_completion("alpaca", []) == ""
    assert render_completion("inst-tags", []) == ""
    for fmt in FORMATS:
        assert parse_completion(fmt, render_completion(fmt, [])) == []


ROUND_TRIP = [
    pytest.param(GOLD, id="apostrophes-and-multiword"),
    pytest.param([("D'Alema", "PER"), ("Sant'Angelo dei Lombardi", "LOC")], id="apostrophe-inside-words"),
    pytest.param([("via Roma 12, Napoli", "LOC"), ("ore 10:30", "LOC")], id="commas-and-colons-in-surfaces"),
    pytest.param([("Roma", "LOC"), ("Roma", "LOC")], id="repeated-entity"),
    pytest.param([("Mario", "PER"), ("Rossi", "PER")], id="adjacent-same-label"),
    pytest.param([("Banca d'Italia S.p.A.", "ORG"), ("«Il Sole 24 Ore»", "ORG")], id="punctuation"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("entities", ROUND_TRIP)
def test_round_trip(fmt: str, entities: list[tuple[str, str]]):
    assert parse_completion(fmt, render_completion(fmt, entities)) == entities


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_through_an_example(fmt: str):
    builder = PromptBuilder(load_schema("kind"), 0, "alpaca")
    assert parse_completion(fmt, to_pair(fmt, _example(), builder).completion) == GOLD


@pytest.mark.parametrize("fmt", FORMATS)
def test_end_of_sequence_markers_are_ignored(fmt: str):
    completion = render_completion(fmt, GOLD)
    assert parse_completion(fmt, completion + "</s>") == GOLD
    assert parse_completion(fmt, completion + "<|im_end|>\n") == GOLD


ALPACA_CASES = [
    pytest.param("Mario Rossi: PER", [("Mario Rossi", "PER")], id="one-line"),
    pytest.param("Mario Rossi:PER\n  Roma :  LOC  ", [("Mario Rossi", "PER"), ("Roma", "LOC")], id="loose-spacing"),
    pytest.param("Re: Fattura Enel: ORG", [("Re: Fattura Enel", "ORG")], id="last-colon-splits"),
    pytest.param("Mario Rossi\nRoma: LOC", [("Roma", "LOC")], id="line-without-colon-skipped"),
    pytest.param(": PER\nRoma: LOC", [("Roma", "LOC")], id="empty-surface-skipped"),
    pytest.param("Mario: una persona\nRoma: LOC", [("Roma", "LOC")], id="label-with-spaces-skipped"),
    pytest.param("ore 10:30", [], id="numeric-label-skipped"),
    pytest.param("Roma: LOC\n\n\nMilano: LOC", [("Roma", "LOC"), ("Milano", "LOC")], id="blank-lines"),
    pytest.param("", [], id="empty"),
]


@pytest.mark.parametrize(("text", "expected"), ALPACA_CASES)
def test_parse_alpaca(text: str, expected: list[tuple[str, str]]):
    assert parse_completion("alpaca", text) == expected


TAG_CASES = [
    pytest.param(" Mario:B-PER, Rossi:I-PER", [("Mario Rossi", "PER")], id="basic"),
    pytest.param("Mario:B-PER,Rossi:I-PER", [("Mario Rossi", "PER")], id="no-space-after-comma"),
    pytest.param("\n Mario:B-PER, Rossi:I-PER </s>", [("Mario Rossi", "PER")], id="seed-newline-and-eos"),
    pytest.param("Rossi:I-PER", [("Rossi", "PER")], id="leading-I-starts-an-entity"),
    pytest.param("Mario:B-PER, Roma:I-LOC", [("Mario", "PER"), ("Roma", "LOC")], id="I-with-other-label-starts-new"),
    pytest.param("Mario:B-PER, il:O, Rossi:I-PER", [("Mario", "PER"), ("Rossi", "PER")], id="O-tag-breaks-entity"),
    pytest.param("Mario:B-PER, garbage, Rossi:I-PER", [("Mario", "PER"), ("Rossi", "PER")], id="garbage-breaks-entity"),
    pytest.param("Mario:PER, Roma:B-LOC", [("Roma", "LOC")], id="missing-bio-prefix-skipped"),
    pytest.param("Mario:X-PER, Roma:B-", [], id="bad-prefix-and-missing-label-skipped"),
    pytest.param("10:30:B-DATE, 12,:I-DATE", [("10:30 12,", "DATE")], id="colons-and-commas-in-words"),
    pytest.param("Mario:B-PER, Luigi:B-PER", [("Mario", "PER"), ("Luigi", "PER")], id="B-starts-new-same-label"),
    pytest.param("nessuna entità", [], id="prose"),
]


@pytest.mark.parametrize(("text", "expected"), TAG_CASES)
def test_parse_inst_tags(text: str, expected: list[tuple[str, str]]):
    assert parse_completion("inst-tags", text) == expected


JSON_CASES = [
    pytest.param('{"entities": [{"text": "Roma", "label": "LOC"}]}', [("Roma", "LOC")], id="valid"),
    pytest.param('{"entities": [{"text": "Roma", "label": "LOC"}', [], id="truncated"),
    pytest.param('{"entities": [{"text": "Roma"}, {"text": "Enel", "label": "ORG"}, 3]}', [("Enel", "ORG")],
                 id="malformed-items-skipped"),
    pytest.param('{"entities": "Roma"}', [], id="entities-not-a-list"),
    pytest.param('["Roma"]', [], id="not-an-object"),
]


@pytest.mark.parametrize(("text", "expected"), JSON_CASES)
def test_parse_json(text: str, expected: list[tuple[str, str]]):
    assert parse_completion("json", text) == expected


def test_unknown_format():
    with pytest.raises(ValueError, match="unknown training format 'xml'"):
        render_completion("xml", GOLD)
    with pytest.raises(ValueError, match="json, alpaca, inst-tags"):
        parse_completion("bio", "")
