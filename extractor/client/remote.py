"""The run side of ``--server``: resolve the model for its tokenizer, check the server, build the method.

The model is resolved here only for its tokenizer and prompt format (the prompts are rendered
and tokenised on this side); adapters are the server's LoRA modules, named by ``--adapter NAME``
(or ``NAME=PATH`` for a local copy, checked against the base model and schema as usual).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from schemas import EntitySchema

from ..adapters import Adapter, check_compatible, load_adapter
from ..config import EngineOptions
from ..engine import LoopStop
from ..errors import ConfigError
from ..methods import Method
from ..models import resolve_model
from ..options import ExtractOptions
from ..prompt_check import check_adapters
from ..settings import Settings
from .http import ServerError, ServerInfo, describe_server, probe_token_classifier, server_tokens
from .options import ServerOptions

log = logging.getLogger(__name__)

TOKENIZER_PROBE = "Gentile dott. Rossi, la fattura n. 12 di Edilnord S.r.l. è pronta: 1.250,00 € entro il 3 marzo."


@dataclass(frozen=True)
class RemoteModel:
    """The local side of a served model: tokenizer folder, prompt format, the adapters' served names."""

    name: str
    path: str
    prompt_format: str
    adapters: tuple[str, ...]
    method: str = "generative"
    merged: str | None = None
    trained: tuple[Adapter, ...] = ()
    """Local copies of the served adapters (``NAME=PATH``): their metadata say what they were trained on."""

    def trained_shots(self, default: int) -> int:
        """The few-shot count the local adapter copies were trained with, else ``default``."""
        recorded = [a.metadata["shots"] for a in self.trained if isinstance(a.metadata.get("shots"), int)]
        return recorded[0] if recorded else default


def prepare_remote(model_name: str, adapter_specs: tuple[str, ...], *, settings: Settings, schema: EntitySchema,
                   method: str | None = None, merge: bool = False) -> RemoteModel:
    """The model (for its tokenizer) and the served adapter names; local adapter copies are checked.

    The tokens method needs its adapter's local copy (``--adapter NAME=PATH``: the BIO labels and
    window length); the server serves that adapter merged, as its base model.
    """
    from ..serving import check_token_adapter, method_of

    if merge:
        raise ConfigError("--merge does not apply to --server: the server serves its own weights "
                          "(start it on a merged folder instead)")
    model = resolve_model(model_name, settings)
    names: list[str] = []
    local: list[Adapter] = []
    for spec in adapter_specs:
        name, sep, path = spec.partition("=")
        if sep:
            local.append(load_adapter(name.strip(), path.strip()))
        names.append(name.strip())
    if len(set(names)) != len(names) or not all(names):
        raise ConfigError("--adapter names must be unique and not empty")
    chosen = method_of(method, tuple(local))
    if chosen == "tokens":
        if len(local) != 1 or len(names) != 1:
            raise ConfigError("the tokens method through --server needs its one adapter's local copy "
                              "(--adapter NAME=PATH: its labels and windows); the server serves it merged "
                              "(extract-entities merge prints the vllm serve command)")
        check_token_adapter(local[0], model, schema)
        return RemoteModel(model.name, model.path, model.prompt_format, tuple(names), "tokens", local[0].name,
                           tuple(local))
    if chosen != "generative":
        raise ConfigError(f"--server serves the generative and tokens methods, not {chosen}; run it in-process")
    for adapter in local:
        check_compatible(adapter, model, schema.fingerprint())
    return RemoteModel(model.name, model.path, model.prompt_format, tuple(names), trained=tuple(local))


def connect(prepared: RemoteModel, server: ServerOptions, settings: Settings) -> tuple[ServerInfo, object]:
    """The server's description, checked against the run (adapters, tokenizer), and the local tokenizer."""
    from transformers import AutoTokenizer

    assert server.url is not None
    info = describe_server(server.url, settings.api_key)
    missing = [n for n in prepared.adapters if n not in info.loras]
    if missing and prepared.method == "generative":
        raise ServerError(f"the server at {info.url} serves no LoRA adapter named {', '.join(missing)} "
                          f"(it serves: {', '.join(info.loras) or 'none'}): start it with --enable-lora "
                          f"--lora-modules {missing[0]}=PATH, or pass the names it serves to --adapter")
    tokenizer = AutoTokenizer.from_pretrained(prepared.path)
    theirs = server_tokens(info, TOKENIZER_PROBE, settings.api_key)
    if theirs is None:
        log.info("the server has no /tokenize route: its tokenizer is not checked against %s", prepared.path)
    elif theirs != list(tokenizer.encode(TOKENIZER_PROBE, add_special_tokens=False)):
        raise ServerError(f"the server at {info.url} serves {info.base}, whose tokenizer differs from that of "
                          f"--model {prepared.name}: pass the --model the server serves (prompts are tokenised here)")
    return info, tokenizer


def build_remote_method(prepared: RemoteModel, server: ServerOptions, engine_options: EngineOptions,
                        settings: Settings, options: ExtractOptions,
                        notify: Callable[[str], None] | None = None) -> tuple[Method, dict[str, str]]:
    """The server method for ``prepared``, its server checked; and what to list in the summary."""
    from ..methods import build_method

    info, tokenizer = connect(prepared, server, settings)
    if prepared.method == "tokens":
        return _remote_tokens(prepared, info, tokenizer, server, settings, options, notify)
    if notify is not None:
        notify(f"extracting through the vLLM server at {info.url} ({info.base}, "
               f"{len(prepared.adapters)} adapters, {server.concurrency} requests at once)")
    method = build_method("server", info=info, server=server, api_key=settings.api_key, tokenizer=tokenizer,
                          options=options, prompt_format=prepared.prompt_format,
                          max_model_len=info.max_model_len or engine_options.max_model_len,
                          loop_stop=LoopStop() if engine_options.loop_stop else None)
    return method, {"method": "generative", "backend": "vllm-server"} | check_adapters(prepared.trained, method,
                                                                                       options.shots)


def _remote_tokens(prepared: RemoteModel, info: ServerInfo, tokenizer: object, server: ServerOptions,
                   settings: Settings, options: ExtractOptions,
                   notify: Callable[[str], None] | None) -> tuple[Method, dict[str, str]]:
    """The tokens method on the server's ``/pooling`` route, checked to tag the adapter's labels both ways."""
    from ..methods import build_method
    from ..tokens import TokenClassifier, TokenEngineConfig
    from ..tokens.classifier import adapter_windows
    from ..tokens.merge import adapter_labels
    from .pooling import PoolingBackend

    adapter = prepared.trained[0]
    labels = adapter_labels(adapter)
    probe_token_classifier(info, settings.api_key, len(labels))
    windows = adapter_windows(adapter)
    if info.max_model_len:  # windows the server can take: the adapter's, else the in-process default, at most its
        windows["max_len"] = min(windows.get("max_len", TokenEngineConfig.max_len), info.max_model_len)
        windows["overlap"] = min(windows.get("overlap", TokenEngineConfig.overlap), windows["max_len"] // 4)
    backend = PoolingBackend(info, server, settings.api_key)
    classifier = TokenClassifier(TokenEngineConfig(model=prepared.path, backend="vllm", **windows), backend=backend,
                                 tokenizer=tokenizer, labels=labels)
    if notify is not None:
        notify(f"tagging tokens through the vLLM pooling server at {info.url} ({info.base} = {adapter.name} merged, "
               f"{server.concurrency} requests at once)")
    return build_method("tokens", classifier=classifier, options=options), {"method": "tokens",
                                                                            "backend": "vllm-server"}


__all__ = ["RemoteModel", "ServerError", "ServerInfo", "ServerOptions", "build_remote_method", "connect",
           "prepare_remote"]
