"""The pipeline: raw messages -> mail -> method -> recognizers -> records -> sinks.

It owns batching windows, dedup, state/resume, routing, recognizers and error records; the
method (``extractor.methods``) owns turning texts into grounded entities. One code path serves
the CLI, the IMAP job and the evaluation harness (:meth:`Extractor.extract_texts`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any, Protocol

from .adapters import Router
from .errors import MessageError
from .mail import dedup_key, header_entities, parse_message
from .message_input import message_input
from .methods import Item, Method, TextResult, extract_all
from .methods.base import reads_of
from .options import ExtractOptions
from .records import Entity, ErrorRecord, Flush, Message, RawMessage
from .sinks import JsonlSink
from .state import StateStore
from .summary import Summary

__all__ = ["ExtractOptions", "Extractor", "Progress", "Summary", "TextResult"]

log = logging.getLogger(__name__)


class Progress(Protocol):
    """What the pipeline reports as messages end (a bar, a status line, or nothing)."""

    def advance(self, done: int, entities: int = 0, errors: int = 0) -> None: ...


class Extractor:
    """Runs messages or plain texts through a method, the recognizers and validation into records."""

    def __init__(
        self,
        method: Method,
        options: ExtractOptions,
        *,
        model_name: str,
        router: Router | None = None,
        validator: Callable[[list[Entity]], tuple[list[Entity], int]] | None = None,
        merged_adapter: str | None = None,
    ) -> None:
        self.method = method
        self.options = options
        self.model_name = model_name
        self.router = router or Router((), None)
        self.validator = validator
        self.merged_adapter = merged_adapter
        self._pattern_labels = options.pattern_labels()
        self._reads = reads_of(method)

    # -- texts ---------------------------------------------------------------------------
    def extract_texts(self, texts: Sequence[str], adapters: Sequence[str | None] | None = None,
                      summary: Summary | None = None) -> list[TextResult]:
        """Entities of plain texts, in order (chunks included); one pass over all of them."""
        summary = summary or Summary()
        return [self._recognized(text, res) for text, res in
                zip(texts, extract_all(self.method, texts, adapters, summary))]

    def stream(self, items: Iterable[Item | Flush], summary: Summary,
               read: Callable[[Any, str], str] | None = None) -> Iterator[list[tuple[Any, TextResult]]]:
        """The method's results as they finish, with the recognizers' spans merged in.

        ``read(tag, text)``, when given, is the text the method gets; the recognizers always read ``text``.
        """
        work = (item if isinstance(item, Flush) else
                ((item[0], item[1]), read(item[0], item[1]) if read else item[1], item[2]) for item in items)
        for done in self.method.stream(work, summary, self.options.batch_size):
            yield [(tag, self._recognized(text, res)) for (tag, text), res in done]

    def _recognized(self, text: str, result: TextResult) -> TextResult:
        if not self._pattern_labels or result.error is not None:
            return result
        return replace(result, entities=self.recognize(text, result.entities))

    def recognize(self, text: str, model_entities: list[Entity]) -> list[Entity]:
        """``model_entities`` of ``text`` merged with the exact recognizers' spans of the pattern labels."""
        from .recognizers import merge_entities, recognize
        from .recognizers.conventions import apply_conventions

        model_entities = apply_conventions(text, model_entities)
        return merge_entities(model_entities, recognize(text, self._pattern_labels), self._pattern_labels)

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
        for done in self.stream(work, summary, self._message_input):
            self._write(done, sink, errors, state, summary, progress)
        return summary

    def _message_input(self, tag: tuple[Message, str | None], body: str) -> str:
        """What the method reads of a message: its body, or its Subject line and body (``reads``)."""
        return message_input(body, tag[0].subject, self._reads)

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
            **({"classes": res.classes} if res.classes is not None else {}),
            **({"class_scores": res.class_scores} if res.class_scores is not None else {}),
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
