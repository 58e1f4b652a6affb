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
from .http import ServerError, ServerInfo, describe_server, server_tokens
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
    """The model (for its tokenizer) and the served adapter names; local adapter copies are checked."""
    if merge:
        raise ConfigError("--merge does not apply to --server: the server serves its own weights "
                          "(start it on a merged folder instead)")
    if method == "tokens":
        raise ConfigError("--server serves the generative method: the tokens method needs a pooling server "
                          "(vllm serve --runner pooling), which this client does not drive yet; run it in-process")
    model = resolve_model(model_name, settings)
    names: list[str] = []
    local: list[Adapter] = []
    for spec in adapter_specs:
        name, sep, path = spec.partition("=")
        if sep:
            adapter = load_adapter(name.strip(), path.strip())
            if adapter.metadata.get("method", "generative") != "generative":
                raise ConfigError(f"adapter {adapter.name} is a token-classification adapter: --server serves the "
                                  "generative method only")
            check_compatible(adapter, model, schema.fingerprint())
            local.append(adapter)
        names.append(name.strip())
    if len(set(names)) != len(names) or not all(names):
        raise ConfigError("--adapter names must be unique and not empty")
    return RemoteModel(model.name, model.path, model.prompt_format, tuple(names), trained=tuple(local))


def connect(prepared: RemoteModel, server: ServerOptions, settings: Settings) -> tuple[ServerInfo, object]:
    """The server's description, checked against the run (adapters, tokenizer), and the local tokenizer."""
    from transformers import AutoTokenizer

    assert server.url is not None
    info = describe_server(server.url, settings.api_key)
    missing = [n for n in prepared.adapters if n not in info.loras]
    if missing:
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
    if notify is not None:
        notify(f"extracting through the vLLM server at {info.url} ({info.base}, "
               f"{len(prepared.adapters)} adapters, {server.concurrency} requests at once)")
    method = build_method("server", info=info, server=server, api_key=settings.api_key, tokenizer=tokenizer,
                          options=options, prompt_format=prepared.prompt_format,
                          max_model_len=info.max_model_len or engine_options.max_model_len,
                          loop_stop=LoopStop() if engine_options.loop_stop else None)
    return method, {"method": "generative", "backend": "vllm-server"} | check_adapters(prepared.trained, method,
                                                                                       options.shots)


__all__ = ["RemoteModel", "ServerError", "ServerInfo", "ServerOptions", "build_remote_method", "connect",
           "prepare_remote"]
