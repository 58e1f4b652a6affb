"""Classification evaluation through the *serving* path: the same options, prompt, engine and parsing
as ``extract-entities --schema none --classify NAME``; only the input (labelled texts) and the sink
(a :class:`~training.classify_report.ClassReport`) differ.

Few-shot examples come from the data set's training split (:func:`pick_shots`), never from the
split scored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from extractor.class_decision import check_scored
from extractor.config import EngineOptions
from extractor.engine import Engine
from extractor.methods.base import reads_of
from extractor.pipeline import ExtractOptions, Extractor, Progress, Summary
from extractor.progress import watch
from extractor.serving import build_served_method, prepare_model, resolve_classes
from extractor.settings import Settings, load_settings
from schemas import NO_ENTITIES
from schemas.classes import ClassExample, ClassSchema
from training.class_sweep import check_sweep_label, sweep, sweep_record
from training.classify_data import LabelledText, class_dataset, load_class_splits, stratified
from training.classify_report import SWEEP, ClassReport, ClassScores, score_classes
from training.evaluate import scored_results

SHOT_MAX_CHARS = 700
"""Few-shot examples are drawn among training texts at most this long, to keep prompts short."""


@dataclass(frozen=True)
class ClassEvalConfig:
    """One classification evaluation.

    Attributes:
        data: ``imdb:test``, ``sentipolc:test``, ``spamassassin:test`` (or ``:dev``).
        model: registry alias, hub id or folder.
        adapter: optional ``NAME=PATH`` LoRA adapter: generative, or a sequence classifier (``method:
            sequence`` in its metadata, served by the pooling runner).
        shots: few-shot examples from the training split (balanced over the labels, in turn).
        limit: a fixed stratified subset of N examples (:func:`training.classify_data.stratified`),
            written ``data[n=N]`` in the report.
        classify: class schema to prompt with; default the data set's own.
        max_tokens: bound on each completion (the class answer is a few tokens).
        min_scores: ``(label, p)`` minimum scores the method decides with (:mod:`extractor.class_decision`;
            sequence adapters), else the adapter's recorded ones.
        sweep: a label to sweep minimum scores over on this split (:mod:`training.class_sweep`): the report
            gains the table and the pick (from the probabilities alone, ``min_scores`` aside);
            ``sweep_cost`` is what a text of another class given it costs, any other error 1.
        progress: show texts done, msg/s and ETA on stderr while the texts run.
    """

    data: str = "imdb:test"
    model: str = "default"
    adapter: str | None = None
    merge: bool = False
    shots: int = 0
    limit: int | None = None
    classify: str | None = None
    max_tokens: int = 24
    min_scores: tuple[tuple[str, float], ...] = ()
    sweep: str | None = None
    sweep_cost: float = 9.0
    batch_size: int = 64
    data_root: Path | None = None
    progress: bool = False
    engine: EngineOptions = field(default_factory=EngineOptions)
    settings: Settings = field(default_factory=load_settings)


def pick_shots(train: list[LabelledText], labels: list[str], k: int, max_chars: int = SHOT_MAX_CHARS) -> tuple[ClassExample, ...]:
    """``k`` training examples, labels taken in turn (schema order), each the next short text of its label."""
    pools = {lab: [ex for ex in train if ex.label == lab and 0 < len(ex.text) <= max_chars] for lab in labels}
    for lab in labels:  # no short text of a label: fall back to its shortest ones
        if not pools[lab]:
            pools[lab] = sorted((ex for ex in train if ex.label == lab and ex.text), key=lambda ex: len(ex.text))
    picked: list[ClassExample] = []
    taken = dict.fromkeys(labels, 0)
    while len(picked) < k and any(taken[lab] < len(pools[lab]) for lab in labels):
        for lab in labels:
            if len(picked) < k and taken[lab] < len(pools[lab]):
                picked.append(ClassExample(pools[lab][taken[lab]].text, lab))
                taken[lab] += 1
    return tuple(picked)


def classify_texts(extractor: Extractor, texts: list[str], adapter: str | None, name: str, batch_size: int,
                   summary: Summary, progress: Progress | None = None
                   ) -> tuple[list[str | None], list[dict[str, float] | None]]:
    """The label of class ``name`` for each text and every label's probability, where the method gives them
    (``None`` where it ended as an error or gives none), each text reported to ``progress``."""
    labels: list[str | None] = []
    probs: list[dict[str, float] | None] = []
    for res in scored_results(extractor, texts, adapter, batch_size, summary, progress):
        ok = res.error is None
        labels.append(res.classes.get(name) if ok and res.classes is not None else None)
        probs.append(res.class_probs.get(name) if ok and res.class_probs is not None else None)
    return labels, probs


def evaluate_classes(config: ClassEvalConfig, engine: Engine | None = None) -> ClassReport:
    """Run ``config`` and return its report (accuracy, per-class P/R/F1, macro-F1, confusion matrix)."""
    dataset, split = class_dataset(config.data)
    splits = load_class_splits(dataset.name, config.data_root)
    examples = stratified(splits[split], config.limit)
    (schema,) = resolve_classes(NO_ENTITIES, (config.classify,)) if config.classify else (dataset.schema,)
    missing = sorted({ex.label for ex in examples} - set(schema.labels))
    if missing:
        raise ValueError(f"class schema {schema.name} lacks the data's labels {', '.join(missing)}")
    schema = replace(schema, examples=pick_shots(splits["train"], list(schema.labels), config.shots))
    adapters = (config.adapter,) if config.adapter else ()
    prepared = prepare_model(config.model, adapters, merge=config.merge, settings=config.settings,
                             schema=NO_ENTITIES)  # the adapter's method: generative or sequence
    options = ExtractOptions(schema=NO_ENTITIES, shots=config.shots, max_tokens=config.max_tokens,
                             batch_size=config.batch_size, recognizers=False, classes=(schema,),
                             min_scores=config.min_scores)
    check_scored(bool(config.min_scores), prepared.method)
    check_scored(config.sweep is not None, prepared.method, "--sweep-min-score")
    check_sweep_label(config.sweep, schema.labels)
    method, facts = build_served_method(prepared, config.engine, config.settings, options, engine)
    extractor = Extractor(method, options, model_name=prepared.name)
    adapter_name = prepared.adapters[0].name if prepared.adapters else None
    summary = Summary()
    t0 = time.perf_counter()
    reads = reads_of(method)
    with watch(len(examples), config.progress, entities=False) as progress:
        predicted, probs = classify_texts(extractor, [ex.read(reads) for ex in examples], adapter_name,
                                          schema.name, config.batch_size, summary, progress)
    seconds = max(time.perf_counter() - t0, 1e-9)
    gold = [ex.label for ex in examples]
    scores = score_classes(gold, predicted, list(schema.labels))
    swept = {} if config.sweep is None else {SWEEP: sweep_record(
        sweep(gold, probs, list(schema.labels), config.sweep, config.sweep_cost), config.sweep, config.sweep_cost)}
    extra = {"schema": schema.name, "errors": summary.errors, "seconds": round(seconds, 2),
             "prompt_tokens_per_message": round(summary.prompt_tokens / max(len(examples), 1), 1),
             "completion_tokens_per_message": round(summary.completion_tokens / max(len(examples), 1), 1),
             "stage_seconds": {k: round(v, 2) for k, v in summary.stages.items()}, **facts}
    return ClassReport(
        model=prepared.name,
        adapter=(prepared.merged and f"{prepared.merged} (merged)") or adapter_name,
        shots=config.shots,
        data=config.data + (f"[n={config.limit}]" if config.limit and config.limit < len(splits[split]) else ""),
        class_name=schema.name, scores=scores, messages_per_s=len(examples) / seconds,
        extra={**spam_facts(schema, scores), **extra, **swept},
    )


def spam_facts(schema: ClassSchema, scores: ClassScores) -> dict[str, float]:
    """For a ham/spam schema: spam precision and ham recall (losing real mail is the costly error)."""
    if set(schema.labels) != {"ham", "spam"}:
        return {}
    per = scores.per_label
    return {"spam_precision": round(per["spam"].precision, 4), "ham_recall": round(per["ham"].recall, 4)}
