"""From a model choice to a ready method: resolve the model and adapters, pick the method, start its engine.

One place for what ``extract``, ``evaluate`` and the mail-gold evaluation share. The method is
``--method`` when given, else the adapter's (``method: tokens`` or ``sequence`` in its metadata), else generative.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from schemas import EntitySchema, SchemaError, load_schema
from schemas.classes import ClassSchema, load_class_schema

from .adapters import Adapter, check_compatible, load_adapter, parse_pairs
from .config import EngineOptions
from .engine import Engine, EngineConfig, LoopStop
from .errors import ConfigError
from .methods import Method, build_method
from .models import ResolvedModel, resolve_model
from .options import ExtractOptions
from .prompt_check import check_adapters
from .settings import Settings


@dataclass
class PreparedModel:
    """The resolved base model, its adapters, and the method that will serve them."""

    name: str
    path: str
    prompt_format: str
    adapters: tuple[Adapter, ...]
    merged: str | None
    method: str = "generative"
    base_path: str | None = None
    trained: tuple[Adapter, ...] = ()
    """Every adapter the run serves, merged or not: their metadata say what they were trained on."""

    def trained_shots(self, default: int) -> int:
        """The few-shot count the adapters were trained with (the first that records one), else ``default``."""
        recorded = [a.metadata["shots"] for a in self.trained if isinstance(a.metadata.get("shots"), int)]
        return recorded[0] if recorded else default


def resolve_schema(spec: str | None) -> EntitySchema:
    try:
        return load_schema(spec)
    except SchemaError as exc:
        raise ConfigError(str(exc)) from exc


def resolve_classes(schema: EntitySchema, specs: tuple[str, ...]) -> tuple[ClassSchema, ...]:
    """The class schemas of ``--classify`` specs, checked against the entity schema."""
    from .classify import check_classes

    classes = tuple(load_class_schema(spec) for spec in specs)
    try:
        check_classes(schema, classes)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return classes


def method_of(requested: str | None, adapters: tuple[Adapter, ...]) -> str:
    """``--method`` when given (checked against the adapters'), else the adapters' own, else generative."""
    declared = {a.metadata.get("method", "generative") for a in adapters}
    if len(declared) > 1:
        raise ConfigError("adapters of different methods (tokens and generative) cannot be served in one run")
    method = requested or (declared.pop() if declared else "generative")
    if declared and method not in declared:
        raise ConfigError(f"--method {method} cannot serve adapters trained for the {declared.pop()} method")
    return method


def check_token_adapter(adapter: Adapter, model: ResolvedModel, schema: EntitySchema) -> None:
    """``ConfigError`` unless ``adapter`` was trained on ``model`` for labels that ``schema`` has."""
    check_compatible(adapter, model, None)
    missing = sorted(set(adapter.metadata.get("entity_labels", ())) - set(schema.labels))
    if missing:
        raise ConfigError(f"adapter {adapter.name} tags {', '.join(missing)}, which schema {schema.name} lacks: "
                          f"pass --schema {adapter.metadata.get('schema', 'kind')}")


def prepare_model(model_name: str, adapter_specs: tuple[str, ...], *, merge: bool, settings: Settings,
                  schema: EntitySchema, method: str | None = None) -> PreparedModel:
    """Resolve the model and adapters; merge one adapter into the base when asked (always for tokens)."""
    model = resolve_model(model_name, settings)
    adapters = tuple(load_adapter(n, p) for n, p in parse_pairs(adapter_specs, "--adapter"))
    names = [a.name for a in adapters]
    if len(set(names)) != len(names):
        raise ConfigError("--adapter names must be unique")
    chosen = method_of(method, adapters)
    if chosen == "sequence":
        if len(adapters) != 1:
            raise ConfigError("the sequence method serves exactly one sequence-classification adapter: "
                              "pass one --adapter")
        check_compatible(adapters[0], model, None)
        return PreparedModel(model.name, model.path, model.prompt_format, adapters, adapters[0].name, "sequence",
                             model.path, adapters)
    if chosen == "tokens":
        if len(adapters) != 1:
            raise ConfigError("the tokens method serves exactly one token-classification adapter: pass one --adapter")
        adapter = adapters[0]
        check_token_adapter(adapter, model, schema)
        return PreparedModel(model.name, model.path, model.prompt_format, adapters, adapter.name, "tokens", model.path,
                             adapters)
    for adapter in adapters:
        check_compatible(adapter, model, schema.fingerprint())
    if merge:
        if len(adapters) != 1:
            raise ConfigError("--merge serves exactly one adapter merged into the base; pass one --adapter")
        from .merge import merge_adapter

        path = merge_adapter(model.path, adapters[0], settings.cache_dir)
        return PreparedModel(model.name, str(path), model.prompt_format, (), adapters[0].name, trained=adapters)
    return PreparedModel(model.name, model.path, model.prompt_format, adapters, None, trained=adapters)


def build_engine(prepared: PreparedModel, options: EngineOptions, settings: Settings) -> Engine:
    """The generative method's engine: base model plus every adapter, schema-constrained decoding."""
    return Engine(EngineConfig(
        model=prepared.path,
        adapters=prepared.adapters,
        decoding_backend=options.decoding_backend,
        max_model_len=options.max_model_len,
        kv_cache_bytes=settings.kv_cache_bytes,
        cache_dir=settings.cache_dir,
        enforce_eager=options.eager,
        loop_stop=LoopStop() if options.loop_stop else None,
    ))


def build_served_method(prepared: PreparedModel, engine_options: EngineOptions, settings: Settings,
                        options: ExtractOptions, engine: Engine | None = None,
                        notify: Callable[[str], None] | None = None) -> tuple[Method, dict[str, str]]:
    """The method that serves ``prepared``, its engine started; and what to list in the summary."""
    say = notify or (lambda note: None)
    t0 = time.perf_counter()
    if prepared.method == "sequence":
        from .sequence.serving import sequence_method

        return sequence_method(prepared.adapters[0], prepared.base_path or prepared.path, settings.cache_dir,
                               options, engine_options.eager, say)
    if prepared.method == "tokens":
        from .tokens import TokenClassifier

        say(f"starting the token classifier on {prepared.adapters[0].path} (merged into {prepared.name} once, cached)")
        classifier = TokenClassifier.for_adapter(prepared.adapters[0], prepared.base_path or prepared.path,
                                                 settings.cache_dir, enforce_eager=engine_options.eager)
        say(f"token classifier ready in {time.perf_counter() - t0:.0f} s ({classifier.backend_name})")
        facts = {"method": "tokens", "backend": classifier.backend_name}
        return build_method("tokens", classifier=classifier, options=options), facts
    if engine is None:
        say(engine_start_note(engine_options, settings, prepared.path))
        engine = build_engine(prepared, engine_options, settings)
        say(f"engine ready in {time.perf_counter() - t0:.0f} s")
    method = build_method("generative", engine=engine, options=options, prompt_format=prepared.prompt_format)
    return method, {"method": "generative", "backend": "vllm"} | check_adapters(prepared.trained, method, options.shots)


def engine_start_note(options: EngineOptions, settings: Settings, model_path: str) -> str:
    """What the engine start is doing, for a person waiting on it."""
    if options.eager:
        return f"starting the engine on {model_path} (--eager: no compilation, about 30 s)"
    caches = (settings.vllm_cache_dir / "torch_compile_cache", settings.inductor_cache_dir)
    if any(c.is_dir() and any(c.iterdir()) for c in caches):
        return f"starting the engine on {model_path} (reusing the compiled model, about a minute)"
    return (f"starting the engine on {model_path}: compiling the model, first run on this machine only, "
            "about 3 minutes (--eager skips it for small jobs)")
