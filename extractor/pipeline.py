"""The extraction pipeline: messages -> prompts -> engine -> parsed, grounded entities -> records.

One code path serves the CLI, the IMAP job and the evaluation harness (:meth:`Extractor.extract_texts`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from schemas import EntitySchema

from .adapters import Router
from .chunking import Chunk, split_text
from .engine import Engine, Generation
from .errors import MessageError
from .grounding import ground, resolve_overlaps
from .mime import dedup_key, header_entities, parse_message
from .prompts import PromptBuilder
from .records import Entity, ErrorRecord, Flush, Message, RawMessage
from .sinks import JsonlSink
from .state import StateStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExtractOptions:
    """How messages become records.

    Attributes:
        schema: labels to extract; its JSON Schema constrains decoding.
        shots: built-in few-shot examples in the prompt.
        max_tokens: bound on each completion.
        batch_size: messages submitted to the engine at once (keeps it full).
        keep_ungrounded: keep entities not found in the text, flagged ``grounded: false``.
        keep_quotes: keep quoted reply history in the text.
        header_entities: add From/To/Cc names and addresses as entities of their header.
        validate: ``flag`` | ``drop`` | ``off`` for codice fiscale, partita IVA and IBAN.
        include_text: put the text the offsets refer to in each record.
        dedup: process a Message-ID (or content hash) once.
        constrained: JSON-schema constrained decoding (off only for benchmarks).
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


@dataclass
class Summary:
    """Counts and timings of one run."""

    messages: int = 0
    entities: int = 0
    errors: int = 0
    skipped: int = 0
    duplicates: int = 0
    dropped_ungrounded: int = 0
    invalid_dropped: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    looped: int = 0
    started: float = field(default_factory=time.perf_counter)
    stages: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("parse", "prompt", "engine", "ground", "write"), 0.0))

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def to_dict(self) -> dict[str, Any]:
        secs = max(self.seconds, 1e-9)
        return {
            "messages": self.messages,
            "entities": self.entities,
            "errors": self.errors,
            "skipped_done": self.skipped,
            "duplicates": self.duplicates,
            "dropped_ungrounded": self.dropped_ungrounded,
            "invalid_dropped": self.invalid_dropped,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "looped": self.looped,
            "seconds": round(secs, 3),
            "messages_per_s": round(self.messages / secs, 3),
            "tokens_per_s": round((self.prompt_tokens + self.completion_tokens) / secs, 1),
            "stage_seconds": {k: round(v, 3) for k, v in self.stages.items()},
        }


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


def parse_output(gen: Generation, schema_model: Any, max_tokens: int) -> tuple[list[tuple[str, str]], str | None]:
    """Entities from one completion, and why it was cut (``None``, ``"length"`` or ``"repetition"``).

    A completion cut at ``max_tokens``, or stopped because it repeated itself (``LoopStop``), is
    salvaged up to its last complete entity. Raises ``MessageError`` when the output is unusable.
    """
    text = gen.text.strip()
    if not text:
        raise MessageError("the engine returned empty text (schema compilation or decoding failed)")
    cut = None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        if gen.finish_reason not in ("length", "repetition"):
            raise MessageError(f"model output is not valid JSON: {text[:80]!r}") from None
        data, cut = _salvage(text), gen.finish_reason
        if data is None:
            why = f"cut at max_tokens={max_tokens}" if cut == "length" else "stopped repeating itself"
            raise MessageError(f"model output {why} before the first entity") from None
    try:
        parsed = schema_model.model_validate(data)
    except ValidationError as exc:
        raise MessageError(f"model output does not match the schema: {exc.errors()[0]['msg']}") from None
    return [(e.text, e.label) for e in parsed.entities], cut


def _salvage(text: str) -> dict[str, Any] | None:
    cut = text.rfind("}")
    while cut > 0:
        try:
            return json.loads(text[: cut + 1] + "]}")
        except json.JSONDecodeError:
            cut = text.rfind("}", 0, cut)
    return None


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
        self.prompts = PromptBuilder(options.schema, options.shots, prompt_format, engine.tokenizer)
        self._schema_model = options.schema.output_model()
        self._json_schema = options.schema.json_schema() if options.constrained else None
        overhead = engine.count_tokens(self.prompts.render(""))
        self.chunk_tokens = max(64, engine.config.max_model_len - overhead - options.max_tokens - 16)

    # -- texts ---------------------------------------------------------------------------
    def extract_texts(self, texts: Sequence[str], adapters: Sequence[str | None] | None = None,
                      summary: Summary | None = None) -> list[TextResult]:
        """Extract entities from plain texts in one engine pass (chunks included)."""
        summary = summary or Summary()
        t0 = time.perf_counter()
        plans = [split_text(t, self.chunk_tokens, self.engine.count_tokens) or [Chunk(0, t)] for t in texts]
        prompts, owners, routes = [], [], []
        for i, chunks in enumerate(plans):
            for chunk in chunks:
                prompts.append(self.prompts.render(chunk.text))
                owners.append(i)
                routes.append(adapters[i] if adapters else None)
        t1 = time.perf_counter()
        gens = self.engine.generate(prompts, routes, json_schema=self._json_schema, max_tokens=self.options.max_tokens)
        t2 = time.perf_counter()
        per_text: list[list[tuple[Chunk, Generation]]] = [[] for _ in texts]
        flat_chunks = [c for chunks in plans for c in chunks]
        for owner, chunk, gen in zip(owners, flat_chunks, gens):
            per_text[owner].append((chunk, gen))
        results = [self._ground_text(texts[i], pairs) for i, pairs in enumerate(per_text)]
        t3 = time.perf_counter()
        summary.stages["prompt"] += t1 - t0
        summary.stages["engine"] += t2 - t1
        summary.stages["ground"] += t3 - t2
        return results

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
        progress: Any = None,
        summary: Summary | None = None,
    ) -> Summary:
        """Process a stream of raw messages; every message ends as a record or an error record."""
        summary = summary or Summary()
        seen: set[str] = set()
        batch: list[Message] = []
        for item in self._parse(items, errors, state, seen, summary):
            if isinstance(item, Flush):
                self._process(batch, sink, errors, state, summary, progress)
                batch = []
                continue
            batch.append(item)
            if len(batch) >= self.options.batch_size:
                self._process(batch, sink, errors, state, summary, progress)
                batch = []
        self._process(batch, sink, errors, state, summary, progress)
        return summary

    def _parse(self, items: Iterable[RawMessage | ErrorRecord | Flush], errors: JsonlSink, state: StateStore | None,
               seen: set[str], summary: Summary) -> Iterator[Message | Flush]:
        for item in items:
            if isinstance(item, Flush):
                yield item
                continue
            if state is not None and state.is_done(item.source, item.key):
                summary.skipped += 1
                continue
            if isinstance(item, ErrorRecord):
                self._error(item, errors, state, summary)
                continue
            t0 = time.perf_counter()
            try:
                msg = parse_message(item, keep_quotes=self.options.keep_quotes)
            except MessageError as exc:
                self._error(ErrorRecord(item.source, item.key, "parse", str(exc), folder=item.folder, uid=item.uid),
                            errors, state, summary)
                continue
            except Exception as exc:  # noqa: BLE001 - a parser bug must not sink the batch
                self._error(ErrorRecord(item.source, item.key, "parse", f"{type(exc).__name__}: {exc}",
                                        folder=item.folder, uid=item.uid), errors, state, summary)
                continue
            finally:
                summary.stages["parse"] += time.perf_counter() - t0
            if self.options.dedup:
                key = dedup_key(msg)
                if key in seen or (state is not None and state.seen_message_id(key)):
                    summary.duplicates += 1
                    if state is not None:
                        state.mark_done([(msg.source, msg.key, "duplicate", None)])
                    continue
                seen.add(key)
            yield msg

    def _error(self, rec: ErrorRecord, errors: JsonlSink, state: StateStore | None, summary: Summary) -> None:
        errors.write(rec.to_dict())
        errors.commit()
        summary.errors += 1
        if state is not None:
            state.mark_done([(rec.source, rec.key, "error", None)])

    def _process(self, batch: list[Message], sink: JsonlSink, errors: JsonlSink, state: StateStore | None,
                 summary: Summary, progress: Any) -> None:
        if not batch:
            return
        adapters = [self.router.pick(m.source, m.folder) for m in batch]
        results = self.extract_texts([m.text for m in batch], adapters, summary)
        t0 = time.perf_counter()
        done: list[tuple[str, str, str, str | None]] = []
        for msg, adapter, res in zip(batch, adapters, results):
            key = dedup_key(msg)
            summary.prompt_tokens += res.prompt_tokens
            summary.completion_tokens += res.completion_tokens
            if res.error is not None:
                self._error(ErrorRecord(msg.source, msg.key, "extract", res.error, msg.message_id, msg.folder, msg.uid),
                            errors, state, summary)
                continue
            entities = res.entities
            if self.validator is not None:
                entities, n_invalid = self.validator(entities)
                summary.invalid_dropped += n_invalid
            if self.options.header_entities:
                entities = entities + header_entities(msg)
            sink.write(self.record(msg, adapter, entities, res, key))
            summary.messages += 1
            summary.entities += len(entities)
            summary.dropped_ungrounded += res.dropped
            summary.looped += res.looped
            done.append((msg.source, msg.key, "ok", key))
        sink.commit()
        if state is not None:
            state.mark_done(done)
        summary.stages["write"] += time.perf_counter() - t0
        if progress is not None:
            progress.update(len(batch))

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
            "adapter": adapter or (f"{self.merged_adapter} (merged)" if self.merged_adapter else None),
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
