"""Training targets for one gold :class:`~training.examples.Example`, and parsers back to entities.

Three formats (``FORMATS``):

* ``json`` (default): the prompt is exactly what serving renders,
  ``PromptBuilder(schema, shots, prompt_format, tokenizer).render(text)``, and the completion is
  ``answer_json([(surface, label), ...])``, entities in text order: the schema-constrained JSON
  the engine produces. Only this format is served by ``extract-entities``.
* ``alpaca``: the seed notebook's instruction prompt ("Below is an instruction ... ### Response:")
  with one ``surface: LABEL`` line per entity.
* ``inst-tags``: the nerdLLama seed, ``<s>[INST] {sentence} [/INST]`` followed by
  `` word:B-TAG, word:I-TAG, ...`` for the entity words only.

Completions never include the end-of-sequence token: the trainer appends the tokenizer's EOS id,
as the engine stops on it. :func:`parse_completion` turns a completion of any format back into
``(surface, label)`` pairs, skipping malformed items, so generated text can be scored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from extractor.prompts import PromptBuilder, answer_json
from training.examples import Example

FORMATS = ("json", "alpaca", "inst-tags")
DEFAULT_FORMAT = "json"

ALPACA_PROMPT = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.\n"
    "### Instruction:\nExtract entity from the given input:\n"
    "### Input:\n{text}\n"
    "### Response:\n"
)
INST_PROMPT = "<s>[INST] {text} [/INST]"

_LABEL = r"[A-Za-z][A-Za-z0-9_]*"
_ALPACA_LINE = re.compile(rf"^(?P<surface>.*\S)\s*:\s*(?P<label>{_LABEL})\s*$")
# One whitespace-free item: the last ":B-"/":I-" splits word and tag; a trailing comma separates items.
_TAG_ITEM = re.compile(rf"^(?P<word>\S+):(?P<bio>[BI])-(?P<label>{_LABEL}),?$")


@dataclass(frozen=True)
class Pair:
    """One training row: the prompt (ends where the model's answer starts) and the completion."""

    prompt: str
    completion: str


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown training format {fmt!r}: use one of {', '.join(FORMATS)}")
    return fmt


def gold_entities(example: Example, labels: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """``(surface, label)`` for each gold span in text order, keeping only ``labels`` when given."""
    keep = None if labels is None else set(labels)
    return [(example.span_text(s), s.label) for s in example.spans if keep is None or s.label in keep]


def render_completion(fmt: str, entities: list[tuple[str, str]]) -> str:
    """The answer text for ``entities`` in format ``fmt`` (without EOS)."""
    check_format(fmt)
    if fmt == "json":
        return answer_json(entities)
    if fmt == "alpaca":
        return "\n".join(f"{' '.join(surface.split())}: {label}" for surface, label in entities)
    items = []
    for surface, label in entities:
        for i, word in enumerate(surface.split()):
            items.append(f"{word}:{'B' if i == 0 else 'I'}-{label}")
    return (" " + ", ".join(items)) if items else ""


def render_prompt(fmt: str, text: str, builder: PromptBuilder | None = None) -> str:
    """The prompt for ``text``; ``json`` needs the serving-time ``builder``."""
    check_format(fmt)
    if fmt == "json":
        if builder is None:
            raise ValueError("the json format renders prompts with the extractor's PromptBuilder: pass builder")
        return builder.render(text)
    if fmt == "alpaca":
        return ALPACA_PROMPT.format(text=text)
    return INST_PROMPT.format(text=text)


def to_pair(fmt: str, example: Example, builder: PromptBuilder | None = None,
            labels: Iterable[str] | None = None, max_entities: int | None = None) -> Pair:
    """Prompt and completion for one gold example (entities limited to ``labels``, at most ``max_entities``)."""
    entities = gold_entities(example, labels)
    if max_entities is not None:
        entities = entities[:max_entities]
    return Pair(render_prompt(fmt, example.text, builder), render_completion(fmt, entities))


def parse_completion(fmt: str, text: str) -> list[tuple[str, str]]:
    """``(surface, label)`` pairs from a generated completion; malformed parts are skipped.

    * ``json``: ``{"entities": [{"text", "label"}]}``; anything unparsable gives ``[]``.
    * ``alpaca``: one ``surface: LABEL`` per line; the last colon splits, so surfaces may contain
      colons. Lines without a colon, with an empty surface or a label with spaces are skipped.
    * ``inst-tags``: ``word:B-TAG, word:I-TAG, ...``; an ``I-`` continues the open entity of
      the same label, otherwise it starts a new one (seqeval's lenient reading). Words are
      joined with single spaces. ``O`` tags and items that are not ``word:B|I-TAG`` are skipped.
    """
    check_format(fmt)
    text = _strip_eos(text)
    if fmt == "json":
        return _parse_json(text)
    if fmt == "alpaca":
        out = []
        for line in text.splitlines():
            m = _ALPACA_LINE.match(line.strip())
            if m:
                out.append((m["surface"].strip(), m["label"]))
        return out
    entities: list[tuple[list[str], str]] = []
    can_continue = False
    for token in re.sub(rf"(:[BI]-{_LABEL}),(?=\S)", r"\1, ", text).split():
        m = _TAG_ITEM.match(token)
        if m is None:  # garbage or an O tag: ends the open entity
            can_continue = False
            continue
        word, bio, label = m["word"], m["bio"], m["label"]
        if bio == "I" and can_continue and entities[-1][1] == label:
            entities[-1][0].append(word)
        else:
            entities.append(([word], label))
        can_continue = True
    return [(" ".join(words), label) for words, label in entities]


def _strip_eos(text: str) -> str:
    for marker in ("</s>", "<|im_end|>", "<|eot_id|>", "<|endoftext|>", "<eos>"):
        text = text.replace(marker, "")
    return text.strip()


def _parse_json(text: str) -> list[tuple[str, str]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return []
    items = doc.get("entities") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return []
    return [(e["text"], e["label"]) for e in items
            if isinstance(e, dict) and isinstance(e.get("text"), str) and isinstance(e.get("label"), str)]
