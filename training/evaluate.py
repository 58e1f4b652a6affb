"""The evaluation harness: gold examples through the *serving* path, scored entity by entity.

Same prompt builder, engine, constrained decoding and grounding as ``extract-entities``;
only the input (dataset texts instead of mail) and the sink (a report) differ.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from extractor.config import EngineOptions
from extractor.engine import Engine
from extractor.pipeline import ExtractOptions, Extractor, Progress, Summary, TextResult
from extractor.progress import watch
from extractor.serving import build_served_method, prepare_model, resolve_schema
from extractor.settings import Settings, load_settings
from training.data import load_dataset
from training.examples import Example, Span
from training.metrics import labels_of, token_level_f1
from training.report import Report, evaluate_predictions


@dataclass(frozen=True)
class EvalConfig:
    """One evaluation run.

    Attributes:
        model: registry alias, hub id or folder.
        data: dataset spec (``kind:WN_test``, a file...), see :func:`training.data.load_dataset`.
        adapter: optional ``NAME=PATH`` LoRA adapter.
        merge: serve the adapter merged into the base weights.
        shots: few-shot examples in the prompt; default: the adapter's, else 0.
        limit: first N examples only (same subset for every row of a comparison).
        schema: schema to prompt with; default: the adapter's, else ``italian_email``. Only
            labels the dataset has are scored.
        engine: how the engine is started (:class:`extractor.config.EngineOptions`).
        recognizers: merge the exact recognizers' spans with the model's (pattern labels).
        method: ``generative`` or ``tokens``; default the adapter's method, else generative.
        split: for ``mailgold:`` data, the split scored (``dev``, ``test`` or ``all``).
        keep_quotes: for ``mailgold:`` data, keep quoted reply history in the texts.
        progress: show texts done, msg/s and ETA on stderr while the texts run.
    """

    model: str = "default"
    data: str = "kind:WN_test"
    adapter: str | None = None
    merge: bool = False
    shots: int | None = None
    limit: int | None = None
    schema: str | None = None
    max_tokens: int = 384
    batch_size: int = 256
    recognizers: bool = True
    method: str | None = None
    prompt_labels: str = "all"
    split: str = "test"
    keep_quotes: bool = True
    data_root: Path | None = None
    progress: bool = False
    engine: EngineOptions = field(default_factory=EngineOptions)
    settings: Settings = field(default_factory=load_settings)


def _adapter_schema(adapter_spec: str | None) -> str | None:
    if not adapter_spec:
        return None
    from extractor.adapters import load_adapter, parse_pairs

    ((name, path),) = parse_pairs([adapter_spec], "--adapter")
    return load_adapter(name, path).metadata.get("schema")


def scored_labels(dataset_labels: Iterable[str], schema_labels: Iterable[str]) -> list[str]:
    """Labels to score: those of the whole dataset (not just the evaluated subset) the schema can predict.

    A label the dataset annotates counts even where a subset has no gold span of it, so the
    model's predictions of it there are false positives (KIND FIC_test[:100] has no ORG span,
    ORG predictions on it must still cost precision). Labels the dataset never annotates
    (KIND has no DATE) are not scored. With no overlap, the dataset's labels are scored.
    """
    dataset = sorted(set(dataset_labels))
    return sorted(set(dataset) & set(schema_labels)) or dataset


def scored_results(extractor: Extractor, texts: Sequence[str], adapter: str | None, batch_size: int,
                   summary: Summary, progress: Progress | None = None) -> Iterator[TextResult]:
    """Each text's result in order, ``batch_size`` texts per pass, counted into ``summary`` (tokens, texts,
    errors and their reasons) and reported to ``progress`` as it ends."""
    for i in range(0, len(texts), batch_size):
        chunk = texts[i:i + batch_size]
        for res in extractor.extract_texts(chunk, [adapter] * len(chunk), summary):
            summary.prompt_tokens += res.prompt_tokens
            summary.completion_tokens += res.completion_tokens
            summary.messages += 1
            if res.error is not None:
                summary.errors += 1
                summary.error_reasons[res.error[:120]] = summary.error_reasons.get(res.error[:120], 0) + 1
            if progress is not None:
                progress.advance(1, sum(e.grounded for e in res.entities), res.error is not None)
            yield res


def predict(extractor: Extractor, examples: list[Example], adapter: str | None, batch_size: int,
            summary: Summary, progress: Progress | None = None) -> list[list[Span]]:
    """Grounded predictions for each example's text, as gold-comparable spans (each reported to ``progress``)."""
    return [[Span(e.start, e.end, e.label) for e in res.entities if e.grounded and e.start is not None]
            for res in scored_results(extractor, [ex.text for ex in examples], adapter, batch_size, summary, progress)]


def evaluate(config: EvalConfig, engine: Engine | None = None) -> Report:
    """Run ``config`` and return its report (strict and partial P/R/F1, per label and domain)."""
    dataset = load_dataset(config.data, config.data_root)  # whole split: its labels are the ones scored
    examples = dataset if config.limit is None else list(itertools.islice(dataset, config.limit))
    schema_spec = config.schema or _adapter_schema(config.adapter) or "italian_email"
    schema = resolve_schema(schema_spec)
    adapters = (config.adapter,) if config.adapter else ()
    prepared = prepare_model(config.model, adapters, merge=config.merge, settings=config.settings,
                             schema=schema, method=config.method)
    shots = prepared.trained_shots(0) if config.shots is None else config.shots
    options = ExtractOptions(schema=schema, shots=shots, max_tokens=config.max_tokens,
                             recognizers=config.recognizers, batch_size=config.batch_size)
    method, facts = build_served_method(prepared, config.engine, config.settings, options, engine)
    extractor = Extractor(method, options, model_name=prepared.name)
    adapter_name = prepared.adapters[0].name if prepared.adapters else None
    summary = Summary()
    t0 = time.perf_counter()
    with watch(len(examples), config.progress) as progress:
        predictions = predict(extractor, examples, adapter_name, config.batch_size, summary, progress)
    seconds = max(time.perf_counter() - t0, 1e-9)
    labels = scored_labels(labels_of(dataset), schema.labels)
    return evaluate_predictions(
        examples, predictions, labels,
        model=prepared.name,
        adapter=(prepared.merged and f"{prepared.merged} (merged)") or adapter_name,
        shots=shots,
        data=config.data + (f"[:{config.limit}]" if config.limit else ""),
        messages_per_s=summary.messages / seconds,
        tokens_per_s=(summary.prompt_tokens + summary.completion_tokens) / seconds,
        extra={"schema": schema.name, "decoding_backend": config.engine.decoding_backend, "errors": summary.errors,
               "error_reasons": dict(summary.error_reasons), "completion_tokens": summary.completion_tokens,
               "seconds": round(seconds, 2), "stage_seconds": summary.stages, **facts,
               "token_level": token_level_f1(examples, predictions, labels)},
    )
