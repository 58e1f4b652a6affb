"""Scoring the extractor on our e-mail gold set (``--data mailgold:FOLDER``) through the serving path.

The messages are read by the extractor's own sources and MIME path, the texts go through the
same prompts, engine, grounding and recognizers as ``extract-entities``, and the predicted
(text, label) pairs are scored per message against gold with ANNOTATION.md's normalisation.
``--model none`` scores the exact recognizers alone (no engine).
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.engine import Engine
from extractor.pipeline import ExtractOptions, Extractor, Summary
from extractor.records import Entity
from extractor.serving import build_served_method, prepare_model, resolve_schema
from extractor.validators import apply_validation
from training.mail_gold import MailGoldExample, entity_pairs, load_mail_gold, normalize, render_markdown, score_pairs

PREFIX = "mailgold:"
NO_MODEL = "none"


def is_mail_gold(spec: str) -> bool:
    return spec.startswith(PREFIX)


@dataclass
class MailReport:
    """Scores of one configuration on one split of a mail gold set."""

    setup: dict[str, Any]
    scores: dict[str, Any]
    invalid: dict[str, int]
    messages_per_s: float | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def f1(self) -> float:
        return float(self.scores["micro"]["f1"])

    def to_markdown(self) -> str:
        title = ", ".join(f"{k} {v}" for k, v in self.setup.items())
        md = render_markdown(self.scores, title)
        md += (f"\nInvalid identifiers in gold flagged `valid: false`: {self.invalid['flagged']} of "
               f"{self.invalid['gold']} (found at all: {self.invalid['found']}).\n")
        if self.messages_per_s is not None:
            md += f"\n{self.messages_per_s:.3f} messages/s.\n"
        return md

    def to_json(self, path: Path) -> None:
        path.write_text(json.dumps({"kind": "mailgold", "setup": self.setup, "scores": self.scores,
                                    "invalid": self.invalid, "messages_per_s": self.messages_per_s,
                                    **self.extra}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _invalid_flagged(examples: list[MailGoldExample], predictions: list[list[Entity]]) -> dict[str, int]:
    gold = found = flagged = 0
    for ex, ents in zip(examples, predictions):
        for text, label in ex.invalid:
            gold += 1
            hits = [e for e in ents if e.label == label and normalize(e.text) == normalize(text)]
            found += bool(hits)
            flagged += any(e.valid is False for e in hits)
    return {"gold": gold, "found": found, "flagged": flagged}


def evaluate_mail(config: Any, engine: Engine | None = None) -> MailReport:
    """Run ``config`` (a ``training.evaluate.EvalConfig`` whose ``data`` is ``mailgold:FOLDER``) on its split."""
    folder = Path(config.data[len(PREFIX):]).expanduser()
    examples = load_mail_gold(folder, None if config.split == "all" else config.split, keep_quotes=config.keep_quotes)
    if config.limit is not None:
        examples = examples[:config.limit]
    schema = resolve_schema(config.schema or "italian_email")
    options = ExtractOptions(schema=schema, shots=config.shots or 0, max_tokens=config.max_tokens,
                             recognizers=config.recognizers, prompt_labels=config.prompt_labels)
    texts = [ex.text for ex in examples]
    summary = Summary()
    t0 = time.perf_counter()
    if config.model == NO_MODEL:
        if not options.pattern_labels():
            raise ValueError("--model none scores the recognizers alone: turn them on (--recognizers on)")
        from extractor.recognizers import recognize

        predictions = [recognize(text, options.pattern_labels()) for text in texts]
        setup = {"model": "none (recognizers alone)", "shots": "-", "adapter": "-"}
        errors = 0
    else:
        adapters = (config.adapter,) if config.adapter else ()
        prepared = prepare_model(config.model, adapters, merge=config.merge, settings=config.settings,
                                 schema=schema, method=config.method)
        if config.shots is None:
            options = dataclasses.replace(options, shots=prepared.trained_shots(0))
        method, facts = build_served_method(prepared, config.engine, config.settings, options, engine)
        extractor = Extractor(method, options, model_name=prepared.name)
        adapter_name = prepared.adapters[0].name if prepared.adapters else None
        results = extractor.extract_texts(texts, [adapter_name] * len(texts), summary)
        predictions = [[e for e in r.entities if e.grounded] for r in results]
        errors = sum(r.error is not None for r in results)
        setup = {"model": prepared.name, "method": facts["method"], "shots": options.shots,
                 "adapter": (prepared.merged and f"{prepared.merged} (merged)") or adapter_name or "-"}
    seconds = max(time.perf_counter() - t0, 1e-9)
    if schema.validated:
        predictions = [apply_validation(p, schema.validated, "flag")[0] for p in predictions]
    setup |= {"recognizers": "on" if options.pattern_labels() else "off", "prompt_labels": config.prompt_labels,
              "split": config.split,
              "keep_quotes": config.keep_quotes}
    scores = score_pairs([ex.pairs for ex in examples], [entity_pairs(p) for p in predictions], list(schema.labels))
    return MailReport(setup, scores, _invalid_flagged(examples, predictions),
                      None if config.model == NO_MODEL else len(texts) / seconds,
                      {"data": config.data, "errors": errors, "seconds": round(seconds, 2),
                       "stage_seconds": summary.stages})
