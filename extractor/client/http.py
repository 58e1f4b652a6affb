"""The HTTP side of ``--server``: an async httpx client of vLLM's OpenAI-compatible API, with retries.

What the server's trouble is decides what happens: a request the server refuses (HTTP 400/422:
too long, a bad schema) ends its own text as an error record; a request that failed for the
server's sake (429, 5xx, timeout, lost connection) is retried with exponential backoff, and
when the retries run out, or the server refuses the API key or the model, the run stops with one
line (:class:`ServerError`), so no message is recorded as failed for a server that was down:
the next run resumes where this one stopped.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from ..engine import Generation
from ..errors import EngineError, ServerError
from .options import ServerOptions

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
MAX_BACKOFF_S = 30.0


@dataclass(frozen=True)
class ServerInfo:
    """What a server says it serves: the base model's name and context, and its LoRA adapters."""

    url: str
    base: str
    max_model_len: int | None
    loras: tuple[str, ...]

    @property
    def root(self) -> str:
        """The server's address without the OpenAI ``/v1`` prefix (``/tokenize`` lives there)."""
        return self.url.removesuffix("/v1")


def headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _check_url_hint(url: str) -> str:
    return f"check that `vllm serve` runs at {url} and is reachable from here (the URL ends in /v1)"


def describe_server(url: str, api_key: str | None, timeout_s: float = 10.0) -> ServerInfo:
    """``GET /models`` once: the base model and LoRA names; :class:`ServerError` with what to check."""
    import httpx

    url = url.rstrip("/")
    try:
        resp = httpx.get(f"{url}/models", headers=headers(api_key), timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise ServerError(f"cannot reach the vLLM server at {url} ({type(exc).__name__}: {exc}): "
                          f"{_check_url_hint(url)}") from None
    if resp.status_code in (401, 403):
        raise ServerError(f"the server at {url} refused the API key (HTTP {resp.status_code}): set "
                          "EXTRACT_ENTITIES_API_KEY to one of the keys it was started with (--api-key)")
    try:
        resp.raise_for_status()
        cards = resp.json()["data"]
    except (httpx.HTTPStatusError, ValueError, KeyError, TypeError) as exc:
        raise ServerError(f"{url}/models did not answer like a vLLM OpenAI server ({type(exc).__name__}: {exc}): "
                          f"{_check_url_hint(url)}") from None
    bases = [c for c in cards if not c.get("parent")]
    if not bases:
        raise ServerError(f"the server at {url} lists no base model under /models")
    return ServerInfo(url, bases[0]["id"], bases[0].get("max_model_len"),
                      tuple(c["id"] for c in cards if c.get("parent")))


def probe_token_classifier(info: ServerInfo, api_key: str | None, n_labels: int, transport: Any = None) -> None:
    """Check once that the server tags tokens with ``n_labels`` classes, attending both ways.

    The in-process backends' check (:func:`~extractor.tokens.classifier.attends_both_ways`) on the
    same probe: a causal server (started without ``is_causal: false``) gives its two inputs the same
    first-token logits. ``transport``: tests.
    """
    import httpx
    import numpy as np

    from ..tokens.classifier import BIDIRECTIONAL_PROBE, first_token_changed

    body = {"model": info.base, "input": [list(x) for x in BIDIRECTIONAL_PROBE], "task": "token_classify",
            "use_activation": False, "add_special_tokens": False}
    try:
        with httpx.Client(transport=transport, timeout=60.0) as http:
            resp = http.post(f"{info.root}/pooling", headers=headers(api_key), json=body)
    except httpx.HTTPError as exc:
        raise ServerError(f"cannot reach the vLLM server at {info.url} ({type(exc).__name__}: {exc}): "
                          f"{_check_url_hint(info.url)}") from None
    if resp.status_code != 200:
        raise ServerError(f"the server at {info.url} does no token classification (HTTP {resp.status_code}: "
                          f"{_error_text(resp)}): {POOLING_HINT}")
    try:
        first, changed = (np.asarray(d["data"], dtype=np.float32) for d in resp.json()["data"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ServerError(f"the server at {info.url} did not answer per-token logits ({type(exc).__name__}: "
                          f"{exc}): {POOLING_HINT}") from None
    if first.ndim != 2 or first.shape[1] != n_labels:
        raise ServerError(f"the server at {info.url} serves {info.base}, a classifier of shape {list(first.shape)}, "
                          f"not the adapter's {n_labels} BIO labels: serve that adapter's merged folder")
    if not first_token_changed(first, changed):
        raise ServerError(f"the server at {info.url} serves {info.base} with causal attention, so tags would not "
                          "see the words after them: start it with --hf-overrides '{\"is_causal\": false}'")


def server_tokens(info: ServerInfo, text: str, api_key: str | None) -> list[int] | None:
    """The server's tokenisation of ``text`` (``POST /tokenize``), or ``None`` where it has no such route."""
    import httpx

    try:
        resp = httpx.post(f"{info.root}/tokenize", headers=headers(api_key), timeout=10.0,
                          json={"model": info.base, "prompt": text, "add_special_tokens": False})
        if resp.status_code != 200:
            return None
        return list(resp.json()["tokens"])
    except (httpx.HTTPError, ValueError, KeyError):
        return None


class ApiClient:
    """``POST`` to one server with bounded concurrency, retrying what failed for the server's sake.

    Create and use it inside one event loop; :meth:`aclose` releases its connections.
    """

    def __init__(self, info: ServerInfo, options: ServerOptions, api_key: str | None, transport: Any = None) -> None:
        """``transport``: an ``httpx.AsyncBaseTransport`` in place of the network (tests)."""
        import httpx

        self.info = info
        self.options = options
        self._sem = asyncio.Semaphore(options.concurrency)
        limits = httpx.Limits(max_connections=options.concurrency, max_keepalive_connections=options.concurrency)
        self._http = httpx.AsyncClient(base_url=info.url, headers=headers(api_key), limits=limits,
                                       timeout=httpx.Timeout(options.request_timeout_s, connect=10.0),
                                       transport=transport)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        """The server's answer to ``body`` (any status but those retried); :class:`ServerError` when the
        retries run out or the server refuses the API key. ``path`` is relative to the ``/v1`` URL or absolute."""
        import httpx

        wait = self.options.backoff_s
        last = ""
        for attempt in range(self.options.retries + 1):
            if attempt:
                await asyncio.sleep(min(wait, MAX_BACKOFF_S))
                wait *= 2
            try:
                async with self._sem:
                    resp = await self._http.post(path, json=body)
            except httpx.HTTPError as exc:  # timeouts, refused or dropped connections
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                log.warning("server request failed (%s), try %d of %d", last, attempt + 1, self.options.retries + 1)
                continue
            if resp.status_code in RETRY_STATUS:
                last = f"HTTP {resp.status_code}"
                wait = max(wait, _retry_after(resp))
                log.warning("server answered %s, try %d of %d", last, attempt + 1, self.options.retries + 1)
                continue
            if resp.status_code in (401, 403):
                raise ServerError(f"the server at {self.info.url} refused the API key (HTTP {resp.status_code}): "
                                  "set EXTRACT_ENTITIES_API_KEY to one of the keys it was started with (--api-key)")
            return resp
        raise ServerError(f"the vLLM server at {self.info.url} did not answer after {self.options.retries + 1} tries "
                          f"({last}): {_check_url_hint(self.info.url)}; rerun the same command to resume")


class CompletionClient(ApiClient):
    """``POST /completions`` with token-id prompts, greedy, JSON-schema constrained, retried."""

    def body(self, token_ids: list[int], model: str, json_schema: dict[str, Any] | None, max_tokens: int,
             repetition: dict[str, int] | None) -> dict[str, Any]:
        """The request body: vLLM's ``structured_outputs`` and ``repetition_detection`` are its extra fields."""
        body: dict[str, Any] = {"model": model, "prompt": token_ids, "max_tokens": max_tokens, "temperature": 0.0,
                                "n": 1, "stream": False}
        if json_schema is not None:
            body["structured_outputs"] = {"json": json_schema}
        if repetition is not None:
            body["repetition_detection"] = repetition
        return body

    async def complete(self, body: dict[str, Any]) -> Generation:
        """One completion; a refused request comes back failed, a server in trouble raises :class:`ServerError`."""
        return self._generation(await self.post("/completions", body), len(body["prompt"]))

    def _generation(self, resp: Any, prompt_tokens: int) -> Generation:
        if resp.status_code == 404:
            raise ServerError(f"the server at {self.info.url} answered 404 ({_error_text(resp)}): check the "
                              "--adapter names against its --lora-modules")
        if resp.status_code != 200:
            return Generation.failed(f"the server refused the request (HTTP {resp.status_code}): "
                                     f"{_error_text(resp)}", prompt_tokens)
        try:
            data = resp.json()
            choice = data["choices"][0]
            usage = data.get("usage") or {}
            return Generation(text=choice.get("text") or "", prompt_tokens=int(usage.get("prompt_tokens", prompt_tokens)),
                              completion_tokens=int(usage.get("completion_tokens", 0)),
                              finish_reason=choice.get("finish_reason"))
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            return Generation.failed(f"the server's answer is not a completion ({type(exc).__name__}: {exc})",
                                     prompt_tokens)


POOLING_HINT = ("start the server on the merged classifier with --runner pooling "
                "(`extract-entities merge --adapter NAME=PATH` prints the command)")


class PoolingClient(ApiClient):
    """``POST /pooling`` with ``task: token_classify``: per-token logits of token-id inputs, retried."""

    async def token_logits(self, inputs: list[list[int]]) -> list[Any]:
        """One ``[len(ids), n_labels]`` float32 array per input; a refused request raises :class:`EngineError`
        (its texts then fail alone), a server without token classification raises :class:`ServerError`."""
        import numpy as np

        body = {"model": self.info.base, "input": inputs, "task": "token_classify", "use_activation": False,
                "add_special_tokens": False, "encoding_format": "float"}
        resp = await self.post(f"{self.info.root}/pooling", body)
        if resp.status_code == 404:
            raise ServerError(f"the server at {self.info.url} has no /pooling route: {POOLING_HINT}")
        if resp.status_code != 200:
            raise EngineError(f"the server refused the request (HTTP {resp.status_code}): {_error_text(resp)}")
        try:
            rows = sorted(resp.json()["data"], key=lambda d: d["index"])
            out = [np.asarray(r["data"], dtype=np.float32) for r in rows]
        except (ValueError, KeyError, TypeError) as exc:
            raise EngineError(f"the server's answer is not per-token logits ({type(exc).__name__}: {exc})") from None
        if len(out) != len(inputs) or any(o.ndim != 2 or len(o) != len(x) for o, x in zip(out, inputs, strict=True)):
            raise ServerError(f"the server at {self.info.url} did not answer one logit row per token: "
                              f"{POOLING_HINT}")
        return out


def _retry_after(resp: Any) -> float:
    try:
        return float(resp.headers.get("retry-after", 0))
    except ValueError:
        return 0.0


def _error_text(resp: Any) -> str:
    try:
        err = resp.json().get("error", {})
        return str(err.get("message") if isinstance(err, dict) else err)[:300]
    except ValueError:
        return resp.text[:300]
