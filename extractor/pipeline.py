"""The extraction pipeline: messages -> prompts -> engine -> parsed, grounded entities -> records.

One code path serves the CLI, the IMAP job and the evaluation harness (:meth:`Extractor.extract_texts`).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from schemas import EntitySchema

from .adapters import Router
from .chunking import Chunk
from .engine import Engine, Generation
from .errors import EngineError, MessageError
from .grounding import ground, resolve_overlaps
from .mime import dedup_key, header_entities, parse_message
from .outputs import parse_output
from .prompt_plan import PlannedChunk, PromptPlanner
from .prompts import PromptBuilder
from .records import Entity, ErrorRecord, Flush, Message, RawMessage
from .sinks import JsonlSink
from .state import StateStore
from .summary import Summary

__all__ = ["ExtractOptions", "Extractor", "Progress", "Summary", "TextResult", "parse_output"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExtractOptions:
    """How messages become records.

    Attributes:
        schema: labels to extract; its JSON Schema constrains decoding.
        shots: built-in few-shot examples in the prompt.
        max_tokens: bound on each completion.
        batch_size: messages in flight in the engine at once; a new one is submitted as soon as
            one finishes (continuous batching), and its record is written then.
        keep_ungrounded: keep entities not found in the text, flagged ``grounded: false``.
        keep_quotes: keep quoted reply history in the text.
        header_entities: add From/To/Cc names and addresses as entities of their header.
        validate: ``flag`` | ``drop`` | ``off`` for codice fiscale, partita IVA and IBAN.
        include_text: put the text the offsets refer to in each record.
        dedup: process a Message-ID (or content hash) once.
        constrained: JSON-schema constrained decoding (off only for benchmarks).
        recognizers: run the exact recognizers of the schema's pattern labels (EMAIL, PHONE,
            IBAN, CODICE_FISCALE, PARTITA_IVA, MONEY, DATE) on every text and merge them with
            the model's spans (``extractor.recognizers.merge``).
        prompt_labels: ``all`` asks the model for every schema label; ``rest`` (with recognizers
            on) asks it only for the labels no recognizer owns (PER, ORG, LOC...), so its
            completion spends no tokens on what the recognizers find exactly.
    """

    schema: EntitySchema
    shots: int = 2
    max_tokens: int = 512
    batch_size: int = 64
    keep_ungrounded: bool = False
    keep_quotes: bool = False
    header_entities: bool = False
    validate: str = "flag"
    include_text: bool = True
    dedup: bool = True
    constrained: bool = True
    recognizers: bool = True
    prompt_labels: str = "all"

    def pattern_labels(self) -> frozenset[str]:
        """The schema's labels that an exact recognizer owns (none when recognizers are off)."""
        if not self.recognizers:
            return frozenset()
        from .recognizers import PATTERN_LABELS

        return PATTERN_LABELS & frozenset(self.schema.labels)

    def prompt_schema(self) -> EntitySchema:
        """The schema the model is prompted and constrained with (see ``prompt_labels``)."""
        if self.prompt_labels not in ("all", "rest"):
            raise ValueError(f"prompt_labels must be 'all' or 'rest', not {self.prompt_labels!r}")
        rest = [label for label in self.schema.labels if label not in self.pattern_labels()]
        if self.prompt_labels == "all" or not rest or len(rest) == len(self.schema.labels):
            return self.schema
        return self.schema.restrict(rest)


@dataclass(frozen=True)
class TextResult:
    """Entities found in one text, or why none could be read from the model."""

    entities: list[Entity]
    dropped: int
    prompt_tokens: int
    completion_tokens: int
    chunks: int
    error: str | None = None
    truncated: bool = False
    looped: bool = False


class Progress(Protocol):
    """What the pipeline reports as messages end (a bar, a status line, or nothing)."""

    def advance(self, done: int, entities: int = 0, errors: int = 0) -> None: ...


@dataclass
class _Job:
    """One text in flight: its chunks, and the completions that came back so far."""

    tag: Any
    text: str
    chunks: list[Chunk]
    gens: list[Generation | None]
    remaining: int


_END = object()


class Extractor:
    """Runs messages or plain texts through prompt building, the engine and grounding."""

    def __init__(
        self,
        engine: Engine,
        options: ExtractOptions,
        *,
        model_name: str,
        prompt_format: str = "chat",
        router: Router | None = None,
        validator: Callable[[list[Entity]], tuple[list[Entity], int]] | None = None,
        merged_adapter: str | None = None,
    ) -> None:
        self.engine = engine
        self.options = options
        self.model_name = model_name
        self.router = router or Router((), None)
        self.validator = validator
        self.merged_adapter = merged_adapter
        prompt_schema = options.prompt_schema()
        self.prompts = PromptBuilder(prompt_schema, options.shots, prompt_format, engine.tokenizer)
        self.planner = PromptPlanner(self.prompts, engine.encode_prompt, engine.count_tokens,
                                     engine.config.max_model_len, options.max_tokens)
        self._schema_model = prompt_schema.output_model()
        self._json_schema = prompt_schema.json_schema() if options.constrained else None
        self._ids = itertools.count()
        self._pattern_labels = options.pattern_labels()

    @property
    def chunk_tokens(self) -> int:
        """Message tokens one prompt can hold."""
        return self.planner.chunk_tokens

    # -- texts ---------------------------------------------------------------------------
    def extract_texts(self, texts: Sequence[str], adapters: Sequence[str | None] | None = None,
                      summary: Summary | None = None) -> list[TextResult]:
        """Entities of plain texts, in order (chunks included); one engine pass over all of them."""
        summary = summary or Summary()
        results: dict[int, TextResult] = {}
        items = ((i, t, adapters[i] if adapters else None) for i, t in enumerate(texts))
        for done in self.stream(items, summary, window=max(len(texts), 1)):
            results.update(done)
        return [results[i] for i in range(len(texts))]

    def stream(self, items: Iterable[tuple[Any, str, str | None] | Flush], summary: Summary,
               window: int | None = None) -> Iterator[list[tuple[Any, TextResult]]]:
        """Results of ``(tag, text, adapter)`` items as they finish, a list per engine step.

        At most ``window`` texts (default ``batch_size``) are in flight; a finished one makes
        room for the next. A :class:`Flush` stops intake until everything in flight is done
        (a live source is about to block). A request the engine refuses or fails ends its text
        with an error; a failed step ends every text in flight with that error. Nothing else
        stops the stream.
        """
        window = window or self.options.batch_size
        source = iter(items)
        jobs: dict[int, _Job] = {}
        owner: dict[str, tuple[int, int]] = {}
        exhausted = draining = False
        try:
            while True:
                ready: list[tuple[Any, TextResult]] = []
                while not exhausted and not draining and len(jobs) < window:
                    item = next(source, _END)
                    if item is _END:
                        exhausted = True
                    elif isinstance(item, Flush):
                        draining = True
                    else:
                        job = self._start(item, jobs, owner, summary)  # type: ignore[arg-type]
                        if job.remaining == 0:
                            ready.append((job.tag, self._finish(job, summary)))
                if ready:
                    yield ready
                if not jobs:
                    if exhausted:
                        return
                    draining = False
                    continue
                yield from self._step(jobs, owner, summary)
        finally:
            if owner:  # the consumer stopped early: leave the engine idle for the next caller
                self.engine.abort(list(owner))

    def _start(self, item: tuple[Any, str, str | None], jobs: dict[int, _Job], owner: dict[str, tuple[int, int]],
               summary: Summary) -> _Job:
        tag, text, adapter = item
        t0 = time.perf_counter()
        plan: list[PlannedChunk] = self.planner.plan(text)
        job = _Job(tag, text, [p.chunk for p in plan], [None] * len(plan), 0)
        jid = next(self._ids)
        for idx, planned in enumerate(plan):
            if planned.token_ids is None:
                job.gens[idx] = Generation.failed(planned.error or "no prompt")
                continue
            rid = f"x{jid}.{idx}"
            try:
                self.engine.submit(rid, planned.token_ids, adapter, json_schema=self._json_schema,
                                   max_tokens=self.options.max_tokens)
            except EngineError as exc:
                job.gens[idx] = Generation.failed(str(exc), len(planned.token_ids))
                continue
            owner[rid] = (jid, idx)
            job.remaining += 1
        if job.remaining:
            jobs[jid] = job
        summary.stages["prompt"] += time.perf_counter() - t0
        return job

    def _step(self, jobs: dict[int, _Job], owner: dict[str, tuple[int, int]],
              summary: Summary) -> Iterator[list[tuple[Any, TextResult]]]:
        t0 = time.perf_counter()
        try:
            finished = self.engine.step()
        except EngineError as exc:
            log.error("%s", exc)
            self.engine.abort(list(owner))
            finished = [(rid, Generation.failed(str(exc))) for rid in list(owner)]
        if not self.engine.has_unfinished():  # idle with requests unanswered: they are lost
            answered = {rid for rid, _ in finished}
            finished += [(rid, Generation.failed("the engine finished without an output for this request"))
                         for rid in list(owner) if rid not in answered]
        summary.stages["engine"] += time.perf_counter() - t0
        done: list[tuple[Any, TextResult]] = []
        for rid, gen in finished:
            where = owner.pop(rid, None)
            if where is None:
                continue
            job = jobs[where[0]]
            job.gens[where[1]] = gen
            job.remaining -= 1
            if job.remaining == 0:
                del jobs[where[0]]
                done.append((job.tag, self._finish(job, summary)))
        if done:
            yield done

    def _finish(self, job: _Job, summary: Summary) -> TextResult:
        t0 = time.perf_counter()
        pairs = [(c, g) for c, g in zip(job.chunks, job.gens) if g is not None]
        result = self._ground_text(job.text, pairs)
        if self._pattern_labels and result.error is None:
            result = replace(result, entities=self.recognize(job.text, result.entities))
        summary.stages["ground"] += time.perf_counter() - t0
        return result

    def recognize(self, text: str, model_entities: list[Entity]) -> list[Entity]:
        """``model_entities`` of ``text`` merged with the exact recognizers' spans of the pattern labels."""
        from .recognizers import merge_entities, recognize

        return merge_entities(model_entities, recognize(text, self._pattern_labels), self._pattern_labels)

    def _ground_text(self, text: str, pairs: list[tuple[Chunk, Generation]]) -> TextResult:
        entities: list[Entity] = []
        dropped = ptoks = ctoks = 0
        errors: list[str] = []
        truncated = looped = False
        for chunk, gen in pairs:
            ptoks += gen.prompt_tokens
            ctoks += gen.completion_tokens
            try:
                preds, cut = parse_output(gen, self._schema_model, self.options.max_tokens)
            except MessageError as exc:
                errors.append(str(exc))
                continue
            truncated |= cut is not None
            looped |= cut == "repetition"
            res = ground(chunk.text, preds, offset=chunk.start, keep_ungrounded=self.options.keep_ungrounded)
            entities.extend(res.entities)
            dropped += res.dropped
        grounded = resolve_overlaps([e for e in entities if e.grounded])
        ungrounded = list({(e.text, e.label): e for e in entities if not e.grounded}.values())
        error = None
        if errors and len(errors) == len(pairs):
            error = errors[0]
        return TextResult(grounded + ungrounded, dropped, ptoks, ctoks, len(pairs), error,
                          truncated or bool(errors), looped)

    # -- messages ------------------------------------------------------------------------
    def run(
        self,
        items: Iterable[RawMessage | ErrorRecord | Flush],
        sink: JsonlSink,
        errors: JsonlSink,
        state: StateStore | None = None,
        progress: Progress | None = None,
        summary: Summary | None = None,
    ) -> Summary:
        """Process a stream of raw messages; every message ends as a record or an error record.

        Records are written, made durable and marked done as each message finishes.
        """
        summary = summary or Summary()
        seen: set[str] = set()
        work = (self._routed(m) if isinstance(m, Message) else m
                for m in self._parse(items, errors, state, seen, summary, progress))
        for done in self.stream(work, summary):
            self._write(done, sink, errors, state, summary, progress)
        return summary

    def _routed(self, msg: Message) -> tuple[tuple[Message, str | None], str, str | None]:
        adapter = self.router.pick(msg.source, msg.folder)
        return (msg, adapter), msg.text, adapter

    def _parse(self, items: Iterable[RawMessage | ErrorRecord | Flush], errors: JsonlSink, state: StateStore | None,
               seen: set[str], summary: Summary, progress: Progress | None) -> Iterator[Message | Flush]:
        for item in items:
            if isinstance(item, Flush):
                yield item
                continue
            if state is not None and state.is_done(item.source, item.key):
                summary.skipped += 1
                if progress is not None:
                    progress.advance(1)
                continue
            if isinstance(item, ErrorRecord):
                self._error(item, errors, state, summary, progress)
                continue
            t0 = time.perf_counter()
            try:
                msg = parse_message(item, keep_quotes=self.options.keep_quotes)
            except MessageError as exc:
                self._error(ErrorRecord(item.source, item.key, "parse", str(exc), folder=item.folder, uid=item.uid),
                            errors, state, summary, progress)
                continue
            except Exception as exc:  # noqa: BLE001 - a parser bug must not sink the batch
                self._error(ErrorRecord(item.source, item.key, "parse", f"{type(exc).__name__}: {exc}",
                                        folder=item.folder, uid=item.uid), errors, state, summary, progress)
                continue
            finally:
                summary.stages["parse"] += time.perf_counter() - t0
            if self.options.dedup:
                key = dedup_key(msg)
                if key in seen or (state is not None and state.seen_message_id(key)):
                    summary.duplicates += 1
                    if state is not None:
                        state.mark_done([(msg.source, msg.key, "duplicate", None)])
                    if progress is not None:
                        progress.advance(1)
                    continue
                seen.add(key)
            yield msg

    def _error(self, rec: ErrorRecord, errors: JsonlSink, state: StateStore | None, summary: Summary,
               progress: Progress | None) -> None:
        """Write an error record of a message that never reached the engine, with its routing facts."""
        rec = replace(rec, model=rec.model or self.model_name,
                      adapter=rec.adapter or self._adapter_label(self.router.pick(rec.source, rec.folder)))
        errors.write(rec.to_dict())
        errors.commit()
        summary.errors += 1
        if state is not None:
            state.mark_done([(rec.source, rec.key, "error", None)])
        if progress is not None:
            progress.advance(1, errors=1)

    def _adapter_label(self, adapter: str | None) -> str | None:
        return adapter or (f"{self.merged_adapter} (merged)" if self.merged_adapter else None)

    def _write(self, done: list[tuple[Any, TextResult]], sink: JsonlSink, errors: JsonlSink,
               state: StateStore | None, summary: Summary, progress: Progress | None) -> None:
        t0 = time.perf_counter()
        marks: list[tuple[str, str, str, str | None]] = []
        n_entities = n_errors = 0
        for (msg, adapter), res in done:
            summary.prompt_tokens += res.prompt_tokens
            summary.completion_tokens += res.completion_tokens
            if res.error is not None:
                rec = ErrorRecord(msg.source, msg.key, "extract", res.error, msg.message_id, msg.folder, msg.uid,
                                  model=self.model_name, adapter=self._adapter_label(adapter))
                errors.write(rec.to_dict())
                summary.errors += 1
                n_errors += 1
                marks.append((msg.source, msg.key, "error", None))
                continue
            key = dedup_key(msg)
            entities = res.entities
            if self.validator is not None:
                entities, n_invalid = self.validator(entities)
                summary.invalid_dropped += n_invalid
            if self.options.header_entities:
                entities = entities + header_entities(msg)
            sink.write(self.record(msg, adapter, entities, res, key))
            summary.messages += 1
            summary.entities += len(entities)
            n_entities += len(entities)
            summary.dropped_ungrounded += res.dropped
            summary.looped += res.looped
            marks.append((msg.source, msg.key, "ok", key))
        sink.commit()
        errors.commit()
        if state is not None:
            state.mark_done(marks)
        summary.stages["write"] += time.perf_counter() - t0
        if progress is not None:
            progress.advance(len(done), n_entities, n_errors)

    def record(self, msg: Message, adapter: str | None, entities: list[Entity], res: TextResult, key: str) -> dict[str, Any]:
        """The output record of one message."""
        rec: dict[str, Any] = {
            "message_id": msg.message_id,
            "source": msg.source,
            "key": msg.key,
            "folder": msg.folder,
            "date": msg.date,
            "from": msg.sender,
            "subject": msg.subject,
            "model": self.model_name,
            "adapter": self._adapter_label(adapter),
            "schema": self.options.schema.name,
            "entities": [e.to_dict() for e in entities],
            "prompt_tokens": res.prompt_tokens,
            "completion_tokens": res.completion_tokens,
            "dedup_key": key,
            "body_type": msg.body_type,
        }
        if msg.uid is not None:
            rec["uid"] = msg.uid
        if msg.attachments:
            rec["attachments"] = [{"filename": a.filename, "content_type": a.content_type, "size": a.size} for a in msg.attachments]
        if msg.defects:
            rec["defects"] = list(msg.defects)
        if res.chunks > 1:
            rec["chunks"] = res.chunks
        if res.dropped:
            rec["dropped_ungrounded"] = res.dropped
        if res.truncated:
            rec["truncated"] = True
        if res.looped:
            rec["looped"] = True
        if self.options.include_text:
            rec["text"] = msg.text
        return rec
