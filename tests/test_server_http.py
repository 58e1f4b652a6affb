"""The server client's decisions, without a server: which answers are retried, refused or fatal."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from extractor.client.http import CompletionClient, ServerError, ServerInfo
from extractor.client.options import ServerOptions
from extractor.errors import ConfigError
from extractor.settings import load_settings

INFO = ServerInfo("http://127.0.0.1:9/v1", "tiny", 2048, ("alpha",))
OK = {"choices": [{"text": '{"entities": []}', "finish_reason": "stop"}],
      "usage": {"prompt_tokens": 3, "completion_tokens": 5}}


def answers(*script: int | str):
    """A transport answering each request with the next status (200 carries OK) or raising a ConnectError."""
    seen: list[httpx.Request] = []
    queue = list(script)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = queue.pop(0) if len(queue) > 1 else queue[0]
        if step == "down":
            raise httpx.ConnectError("connection refused")
        if step == 200:
            return httpx.Response(200, json=OK)
        return httpx.Response(int(step), json={"error": {"message": f"status {step}"}})

    return httpx.MockTransport(handler), seen


def complete(transport, retries: int = 2, api_key: str | None = None):
    async def go():
        client = CompletionClient(INFO, ServerOptions(url=INFO.url, retries=retries, backoff_s=0.001), api_key,
                                  transport=transport)
        try:
            return await client.complete(client.body([1, 2, 3], "alpha", {"type": "object"}, 16,
                                                     {"min_pattern_size": 12, "max_pattern_size": 128,
                                                      "min_count": 3}))
        finally:
            await client.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("script,tries", [
    pytest.param((200,), 1, id="ok-first-time"),
    pytest.param((503, 200), 2, id="5xx-retried"),
    pytest.param((429, 200), 2, id="429-retried"),
    pytest.param(("down", "down", 200), 3, id="connection-retried"),
])
def test_server_trouble_is_retried_until_an_answer(script, tries):
    transport, seen = answers(*script)
    gen = complete(transport)
    assert (gen.error, gen.text, gen.prompt_tokens, gen.completion_tokens, gen.finish_reason) == (
        None, '{"entities": []}', 3, 5, "stop")
    assert len(seen) == tries


@pytest.mark.parametrize("status", [pytest.param(400, id="400"), pytest.param(422, id="422")])
def test_a_refused_request_fails_alone_without_retry(status):
    transport, seen = answers(status)
    gen = complete(transport)
    assert gen.error is not None and f"HTTP {status}" in gen.error and f"status {status}" in gen.error
    assert len(seen) == 1


@pytest.mark.parametrize("script,words", [
    pytest.param(("down",), ("did not answer after 3 tries", "ConnectError", "127.0.0.1:9", "resume"), id="down"),
    pytest.param((502,), ("did not answer after 3 tries", "HTTP 502"), id="5xx-forever"),
    pytest.param((401,), ("refused the API key", "EXTRACT_ENTITIES_API_KEY"), id="bad-key"),
    pytest.param((404,), ("404", "--lora-modules"), id="unknown-model"),
])
def test_a_server_that_cannot_serve_stops_the_run_with_one_line(script, words):
    transport, _ = answers(*script)
    with pytest.raises(ServerError) as exc:
        complete(transport)
    assert "\n" not in str(exc.value) and all(w in str(exc.value) for w in words)


def test_request_body_carries_vllm_extras_and_the_key_only_in_the_header():
    transport, seen = answers(200)
    complete(transport, api_key="s3cret")
    body = json.loads(seen[0].content)
    assert body["prompt"] == [1, 2, 3] and body["model"] == "alpha" and body["temperature"] == 0.0
    assert body["structured_outputs"] == {"json": {"type": "object"}}
    assert body["repetition_detection"]["min_count"] == 3
    assert seen[0].headers["authorization"] == "Bearer s3cret" and "s3cret" not in seen[0].content.decode()


def test_api_key_comes_from_the_environment_and_is_never_shown():
    settings = load_settings({"EXTRACT_ENTITIES_API_KEY": "s3cret"})
    assert settings.api_key == "s3cret" and "s3cret" not in repr(settings)
    assert load_settings({}).api_key is None


def test_server_url_must_be_http():
    with pytest.raises(ConfigError, match="http"):
        ServerOptions(url="gpu-box:8000")
