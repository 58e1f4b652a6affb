"""One extraction run, from a frozen :class:`RunConfig` to a :class:`Summary`. The CLI calls this."""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

from schemas import EntitySchema, SchemaError, load_schema

from .adapters import Adapter, Router, check_compatible, load_adapter, parse_pairs
from .engine import Engine, EngineConfig, LoopStop
from .errors import ConfigError, InputError
from .methods import build_method
from .models import resolve_model
from .pipeline import ExtractOptions, Extractor, Summary
from .progress import ProgressDisplay
from .records import ErrorRecord, Flush, RawMessage
from .settings import Settings, load_settings
from .sinks import JsonlSink
from .sources import is_imap_url, iter_path
from .state import StateStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunConfig:
    """Everything one ``extract-entities`` run needs; built by the CLI, usable from code."""

    inputs: tuple[str, ...]
    model: str = "default"
    adapters: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    merge: bool = False
    schema: str | None = None
    shots: int = 2
    decoding_backend: str = "outlines"
    output: Path | None = None
    errors: Path | None = None
    restart: bool = False
    batch_size: int = 64
    max_tokens: int = 512
    max_model_len: int = 4096
    eager: bool = False
    loop_stop: bool = True
    keep_ungrounded: bool = False
    keep_quotes: bool = False
    header_entities: bool = False
    validate: str = "flag"
    recognizers: bool = True
    include_text: bool = True
    progress: bool = True
    watch: bool = False
    interval: float = 60.0
    insecure: bool = False
    ca_file: Path | None = None
    mark_seen: bool = False
    settings: Settings = field(default_factory=load_settings)


@dataclass
class PreparedModel:
    name: str
    path: str
    prompt_format: str
    adapters: tuple[Adapter, ...]
    merged: str | None


def prepare_model(model_name: str, adapter_specs: tuple[str, ...], *, merge: bool, settings: Settings,
                  schema_fingerprint: str | None) -> PreparedModel:
    """Resolve the model and adapters; merge one adapter into the base when asked."""
    model = resolve_model(model_name, settings)
    adapters = tuple(load_adapter(n, p) for n, p in parse_pairs(adapter_specs, "--adapter"))
    names = [a.name for a in adapters]
    if len(set(names)) != len(names):
        raise ConfigError("--adapter names must be unique")
    for adapter in adapters:
        check_compatible(adapter, model, schema_fingerprint)
    if merge:
        if len(adapters) != 1:
            raise ConfigError("--merge serves exactly one adapter merged into the base; pass one --adapter")
        from .merge import merge_adapter

        path = merge_adapter(model.path, adapters[0], settings.cache_dir)
        return PreparedModel(model.name, str(path), model.prompt_format, (), adapters[0].name)
    return PreparedModel(model.name, model.path, model.prompt_format, adapters, None)


class EngineChoices(Protocol):
    """The engine options of a run's config (:class:`RunConfig` and ``training.evaluate.EvalConfig``).

    ``eager`` skips torch.compile: the engine starts in a third of the time on CPU and runs
    a little slower per token (benchmarks/RESULTS.md), the better trade for a few dozen messages.
    ``loop_stop`` ends completions that repeat themselves (:class:`extractor.engine.LoopStop`).
    """

    @property
    def decoding_backend(self) -> str: ...
    @property
    def max_model_len(self) -> int: ...
    @property
    def eager(self) -> bool: ...
    @property
    def loop_stop(self) -> bool: ...
    @property
    def settings(self) -> Settings: ...


def build_engine(prepared: PreparedModel, config: EngineChoices) -> Engine:
    """The run's one engine: base model plus every adapter, schema-constrained decoding."""
    return Engine(EngineConfig(
        model=prepared.path,
        adapters=prepared.adapters,
        decoding_backend=config.decoding_backend,
        max_model_len=config.max_model_len,
        kv_cache_bytes=config.settings.kv_cache_bytes,
        cache_dir=config.settings.cache_dir,
        enforce_eager=config.eager,
        loop_stop=LoopStop() if config.loop_stop else None,
    ))


def resolve_schema(spec: str | None) -> EntitySchema:
    try:
        return load_schema(spec)
    except SchemaError as exc:
        raise ConfigError(str(exc)) from exc


def state_path(config: RunConfig) -> Path | None:
    """Where the run's state lives: beside the output, or in the cache for IMAP to stdout."""
    if config.output is not None:
        return config.output.with_name(config.output.name + ".state.sqlite")
    if any(is_imap_url(s) for s in config.inputs):
        key = hashlib.sha256("\n".join(sorted(config.inputs)).encode()).hexdigest()[:16]
        return config.settings.cache_dir / "state" / f"imap-{key}.sqlite"
    return None


def errors_path_of(config: RunConfig) -> Path | None:
    """Where error records go: ``--errors``, beside the output, or ``None`` for stderr."""
    if config.errors is not None:
        return config.errors
    if config.output is not None:
        return config.output.with_name(config.output.stem + ".errors.jsonl")
    return None


def check_inputs(inputs: tuple[str, ...]) -> None:
    if not inputs:
        raise InputError("no input given: pass an mbox, a Maildir, .eml files, a directory or an imap:// URL")
    for spec in inputs:
        if is_imap_url(spec):
            continue
        path = Path(spec).expanduser()
        if not path.exists():
            raise InputError(f"{spec}: no such file or directory")
        if (path.is_file() and path.stat().st_size == 0) or next(iter_path(path), None) is None:
            raise InputError(f"{spec}: no messages found (empty mailbox or folder)")


def iter_inputs(config: RunConfig, state: StateStore | None, stop: threading.Event) -> Iterator[RawMessage | ErrorRecord | Flush]:
    """Raw messages from every input in order; IMAP inputs go through the polling source."""
    for spec in config.inputs:
        if is_imap_url(spec):
            from .imap import ImapOptions, ImapSource, parse_imap_url

            options = ImapOptions(insecure=config.insecure, ca_file=config.ca_file, watch=config.watch,
                                  interval=config.interval, mark_seen=config.mark_seen)
            yield from ImapSource(parse_imap_url(spec), options).iter_messages(state, stop)
            if stop.is_set():
                return
        else:
            for item in iter_path(Path(spec).expanduser()):
                if stop.is_set():  # SIGTERM/SIGINT: finish the batch in hand, keep the state
                    return
                yield item


def engine_start_note(config: RunConfig, model_path: str) -> str:
    """What the engine start is doing, for a person waiting on it."""
    if config.eager:
        return f"starting the engine on {model_path} (--eager: no compilation, about 30 s)"
    compiled = config.settings.vllm_cache_dir / "torch_compile_cache"
    if compiled.is_dir() and any(compiled.iterdir()):
        return f"starting the engine on {model_path} (reusing the compiled model, about a minute)"
    return (f"starting the engine on {model_path}: compiling the model, first run on this machine only, "
            "about 3 minutes (--eager skips it for small jobs)")


def _count_messages(inputs: tuple[str, ...], progress: ProgressDisplay, stop: threading.Event) -> None:
    """Count the messages of file inputs for the progress total (not possible for IMAP)."""
    if any(is_imap_url(s) for s in inputs):
        return
    n = 0
    for spec in inputs:
        for _ in iter_path(Path(spec).expanduser()):
            if stop.is_set():
                return
            n += 1
    progress.set_total(n)


def run(config: RunConfig, stop: threading.Event | None = None, engine: Engine | None = None,
        notify: Callable[[str], None] | None = None) -> Summary:
    """Extract entities from ``config.inputs`` into JSONL; returns the run's summary.

    ``engine`` reuses an engine already serving the same model and adapters (tests, jobs);
    ``notify`` receives one-line notes for a person watching (the engine start).
    """
    stop = stop or threading.Event()
    check_inputs(config.inputs)
    schema = resolve_schema(config.schema)
    prepared = prepare_model(config.model, config.adapters, merge=config.merge, settings=config.settings,
                             schema_fingerprint=schema.fingerprint())
    router = Router.build(parse_pairs(config.routes, "--route"), {a.name: a for a in prepared.adapters})

    out_path, err_path, st_path = config.output, errors_path_of(config), state_path(config)
    if config.restart:
        for p in (out_path, err_path, st_path):
            if p is not None:
                p.unlink(missing_ok=True)
    state = StateStore(st_path) if st_path is not None else None
    if state is not None and out_path is not None:
        if not out_path.exists():
            state.clear()  # a stale state without its output would skip messages
        else:
            state.reconcile(out_path, err_path)

    if engine is None:
        if notify is not None:
            notify(engine_start_note(config, prepared.path))
        t0 = time.perf_counter()
        engine = build_engine(prepared, config)
        if notify is not None:
            notify(f"engine ready in {time.perf_counter() - t0:.0f} s")
    options = ExtractOptions(
        schema=schema, shots=config.shots, max_tokens=config.max_tokens, batch_size=config.batch_size,
        keep_ungrounded=config.keep_ungrounded, keep_quotes=config.keep_quotes,
        header_entities=config.header_entities, validate=config.validate, include_text=config.include_text,
        recognizers=config.recognizers,
    )
    validator = None
    if config.validate != "off" and schema.validated:
        from .validators import apply_validation

        validator = partial(apply_validation, validated=schema.validated, mode=config.validate)
    method = build_method("generative", engine=engine, options=options, prompt_format=prepared.prompt_format)
    extractor = Extractor(method, options, model_name=prepared.name,
                          router=router, validator=validator, merged_adapter=prepared.merged)

    sink = JsonlSink(out_path)
    errors = JsonlSink(err_path, stream=sys.stderr)
    progress = None
    if config.progress:
        progress = ProgressDisplay(sys.stderr)
        threading.Thread(target=_count_messages, args=(config.inputs, progress, stop), daemon=True).start()
    summary = Summary(options={"method": "generative", "recognizers": "on" if options.pattern_labels() else "off"})
    try:
        return extractor.run(iter_inputs(config, state, stop), sink, errors, state, progress, summary)
    finally:
        sink.close()
        errors.close()
        if progress is not None:
            progress.close()
        if state is not None:
            state.close()

