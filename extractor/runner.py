"""One extraction run, from a frozen :class:`RunConfig` to a :class:`Summary`. The CLI calls this."""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .adapters import Router, parse_pairs
from .class_decision import check_scored, parse_min_scores
from .client.options import ServerOptions
from .config import EngineOptions
from .engine import Engine
from .errors import ConfigError, InputError
from .pipeline import ExtractOptions, Extractor, Summary
from .progress import ProgressDisplay
from .raydata.options import RayOptions
from .records import ErrorRecord, Flush, RawMessage
from .serving import build_served_method, prepare_model, resolve_classes, resolve_schema
from .settings import Settings, load_settings
from .sinks import JsonlSink
from .sources import open_source
from .sources.imap.options import ImapOptions
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
    classify: tuple[str, ...] = ()
    min_scores: tuple[str, ...] = ()
    shots: int | None = None
    output: Path | None = None
    errors: Path | None = None
    restart: bool = False
    batch_size: int = 64
    max_tokens: int = 512
    keep_ungrounded: bool = False
    keep_quotes: bool = False
    header_entities: bool = False
    validate: str = "flag"
    method: str | None = None
    recognizers: bool = True
    include_text: bool = True
    progress: bool = True
    engine: EngineOptions = field(default_factory=EngineOptions)
    imap: ImapOptions = field(default_factory=ImapOptions)
    server: ServerOptions = field(default_factory=ServerOptions)
    ray: RayOptions = field(default_factory=RayOptions)
    settings: Settings = field(default_factory=load_settings)


def state_path(config: RunConfig) -> Path | None:
    """Where the run's state lives: beside the output, or in the cache for IMAP to stdout."""
    if config.output is not None:
        return config.output.with_name(config.output.name + ".state.sqlite")
    if any(open_source(s).live for s in config.inputs):
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
        open_source(spec).check()


def iter_inputs(config: RunConfig, state: StateStore | None, stop: threading.Event) -> Iterator[RawMessage | ErrorRecord | Flush]:
    """Raw messages from every input in order; each source ends soon after ``stop`` is set."""
    for spec in config.inputs:
        yield from open_source(spec, config.imap).iter_messages(state, stop)
        if stop.is_set():  # SIGTERM/SIGINT: finish the batch in hand, keep the state
            return


def _count_messages(inputs: tuple[str, ...], progress: ProgressDisplay, stop: threading.Event) -> None:
    """Count the messages of file inputs for the progress total (not possible for IMAP)."""
    sources = [open_source(spec) for spec in inputs]
    if any(s.live for s in sources):
        return
    n = 0
    for source in sources:
        if (count := source.count(stop)) is None:  # stopped
            return
        n += count
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
    classes = resolve_classes(schema, config.classify)
    min_scores = parse_min_scores(config.min_scores)
    if config.server.url and config.ray.enabled:
        raise ConfigError("--server and --ray are two ways to scale out: pass one of them")
    if config.server.url:  # a client of a running vLLM server: adapters are its served LoRA names
        from .client.remote import prepare_remote

        prepared = prepare_remote(config.model, config.adapters, settings=config.settings, schema=schema,
                                  method=config.method, merge=config.merge)
        served = dict.fromkeys(prepared.adapters)
    else:
        prepared = prepare_model(config.model, config.adapters, merge=config.merge, settings=config.settings,
                                 schema=schema, method=config.method)
        served = {a.name: a for a in prepared.adapters}
    router = Router.build(parse_pairs(config.routes, "--route"), served)

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

    shots = prepared.trained_shots(2) if config.shots is None else config.shots
    options = ExtractOptions(
        schema=schema, shots=shots, max_tokens=config.max_tokens, batch_size=config.batch_size,
        keep_ungrounded=config.keep_ungrounded, keep_quotes=config.keep_quotes,
        header_entities=config.header_entities, validate=config.validate, include_text=config.include_text,
        recognizers=config.recognizers, classes=classes, min_scores=min_scores,
    )
    validator = None
    if config.validate != "off" and schema.validated:
        from .validators import apply_validation

        validator = partial(apply_validation, validated=schema.validated, mode=config.validate)
    if classes and prepared.method not in ("generative", "sequence"):
        raise ConfigError(f"--classify needs the generative method; the {prepared.method} method finds entities only")
    check_scored(bool(min_scores), prepared.method)
    if config.server.url:
        from .client.remote import build_remote_method

        method, facts = build_remote_method(prepared, config.server, config.engine, config.settings, options, notify)
    elif config.ray.enabled:
        from .raydata.serve import build_ray_method

        method, facts = build_ray_method(prepared, config.engine, config.settings, options, config.ray,
                                         config.batch_size, notify)
    else:
        method, facts = build_served_method(prepared, config.engine, config.settings, options, engine, notify)
    extractor = Extractor(method, options, model_name=prepared.name,
                          router=router, validator=validator, merged_adapter=prepared.merged)

    sink = JsonlSink(out_path)
    errors = JsonlSink(err_path, stream=sys.stderr)
    progress = None
    if config.progress:
        progress = ProgressDisplay(sys.stderr)
        threading.Thread(target=_count_messages, args=(config.inputs, progress, stop), daemon=True).start()
    summary = Summary(options={**facts, "recognizers": "on" if options.pattern_labels() else "off"})
    try:
        return extractor.run(iter_inputs(config, state, stop), sink, errors, state, progress, summary)
    finally:
        sink.close()
        errors.close()
        if progress is not None:
            progress.close()
        if state is not None:
            state.close()

