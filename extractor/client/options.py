"""How a run reaches a running vLLM server (``--server``), as one frozen option group."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import cli
from ..errors import ConfigError


@dataclass(frozen=True)
class ServerOptions:
    """A vLLM OpenAI-compatible server to extract through instead of an in-process engine.

    Attributes:
        url: the server's OpenAI base URL (``http://gpu-box:8000/v1``); ``None``: in-process engine.
        concurrency: requests in flight to the server at once (its continuous batching does the rest).
        request_timeout_s: how long one completion may take before it is retried.
        retries: retries of a request that failed for the server's sake (HTTP 429 or 5xx, a
            timeout, a lost connection), with exponential backoff; then the run stops with one line
            and resumes later from where it stopped.
        backoff_s: the first retry's wait; each further retry waits twice as long (capped at 30 s).
    """

    url: str | None = field(default=None, metadata=cli(
        "--server", "URL of a running vLLM OpenAI-compatible server (http://host:8000/v1): extract as its "
                    "client; --adapter NAME then names a LoRA the server serves. The API key is read from "
                    "EXTRACT_ENTITIES_API_KEY."))
    concurrency: int = field(default=8, metadata=cli(
        "--concurrency", "Requests in flight to --server at once; with --ray, vLLM engine replicas [default 1].",
        min=1))
    request_timeout_s: float = field(default=300.0, metadata=cli(
        "--request-timeout", "Seconds one request to --server may take before it is retried.", min=1.0))
    retries: int = field(default=5, metadata=cli(
        "--retries", "Retries of a --server request that failed (429, 5xx, timeout, lost connection), "
                     "with exponential backoff, before the run stops (it resumes where it stopped).", min=0))
    backoff_s: float = 0.5

    def __post_init__(self) -> None:
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"--server must be an http:// or https:// URL, got {self.url!r}")
