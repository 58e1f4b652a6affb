"""The tokens method through a pooling server, without a server: what the client sends, decides and refuses.

A scripted ``httpx`` transport answers ``/pooling`` like vLLM does (one ``[n_tokens, n_labels]``
list per input); the tokenizer and windows are a tiny model's, the logits are the script's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from tiny_token_model import build_tiny_token_model

from extractor.client.http import ServerError, ServerInfo, probe_token_classifier
from extractor.client.options import ServerOptions
from extractor.client.pooling import PoolingBackend
from extractor.client.serve import serve_args
from extractor.methods import build_method
from extractor.options import ExtractOptions
from extractor.summary import Summary
from extractor.tokens import TokenClassifier, TokenEngineConfig
from extractor.tokens.spans import bio_labels
from schemas import load_schema

INFO = ServerInfo("http://127.0.0.1:9/v1", "tok", 512, ())
LABELS = bio_labels(["PER", "ORG", "LOC"])
LOC = LABELS.index("B-LOC")


def logits_for(ids: list[int], tag_id: int | None = None) -> list[list[float]]:
    """Per-token rows: ``O`` everywhere, or B-LOC on token id ``tag_id``; the first row also depends on
    the last token, as a bidirectional model's does."""
    rows = []
    for i, tid in enumerate(ids):
        row = [0.0] * len(LABELS)
        row[LOC if tid == tag_id else 0] = 5.0
        if i == 0:
            row[1] = ids[-1] / 1000
        rows.append(row)
    return rows


def pooling_server(status: dict[int, int] | None = None, tag_id: int | None = None, width: int = len(LABELS),
                   causal: bool = False):
    """A transport answering ``/pooling``; ``status``: request number -> HTTP status to answer instead."""
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        code = (status or {}).get(len(seen), 200)
        if code == -1:
            raise httpx.ConnectError("connection refused")
        if code != 200:
            return httpx.Response(code, json={"error": {"message": f"status {code}"}})
        assert request.url.path == "/pooling" and body["task"] == "token_classify"
        data = []
        for i, ids in enumerate(body["input"]):
            rows = logits_for(ids, tag_id)
            if causal:
                rows[0][1] = 0.0
            data.append({"index": i, "data": [r[:width] + [0.0] * (width - len(r)) for r in rows]})
        return httpx.Response(200, json={"data": data})

    return httpx.MockTransport(handler), seen


@pytest.fixture(scope="module")
def tok_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_token_model(tmp_path_factory.mktemp("pool") / "qwen2", labels=("PER", "ORG", "LOC"))


def classifier(folder: Path, transport: httpx.MockTransport, retries: int = 0,
               request_tokens: int = 8192) -> TokenClassifier:
    from transformers import AutoTokenizer

    backend = PoolingBackend(INFO, ServerOptions(url=INFO.url, retries=retries, backoff_s=0.001, concurrency=2),
                             None, request_tokens=request_tokens, transport=transport)
    return TokenClassifier(TokenEngineConfig(model=str(folder), backend="vllm", max_len=16, overlap=4),
                           backend=backend, tokenizer=AutoTokenizer.from_pretrained(str(folder)), labels=LABELS)


def test_logits_come_back_in_input_order_from_requests_grouped_by_length(tok_folder: Path):
    transport, seen = pooling_server()
    backend = classifier(tok_folder, transport, request_tokens=12).backend
    inputs = [[5] * 3, [6] * 9, [7] * 2, [8] * 4]
    got = backend.logits(inputs)
    assert [g.shape for g in got] == [(len(x), len(LABELS)) for x in inputs]
    assert [float(g[0, 1]) for g in got] == pytest.approx([x[-1] / 1000 for x in inputs])
    assert sorted(len(b["input"]) for b in seen) == [1, 3]  # 9 alone; 4, 3 and 2 padded to 4: 3 x 4 <= 12
    assert all(b["add_special_tokens"] is False and b["use_activation"] is False and b["model"] == "tok"
               for b in seen)


def test_spans_are_decoded_here_exactly(tok_folder: Path):
    from transformers import AutoTokenizer

    text = "Arrivo a Roma domani."
    tok = AutoTokenizer.from_pretrained(str(tok_folder))
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    roma = next(i for i, (a, b) in zip(enc["input_ids"], enc["offset_mapping"], strict=True) if text[a:b].strip() == "Roma"
                or text[a:b].strip().startswith("Ro"))
    transport, _ = pooling_server(tag_id=roma)
    [entities] = classifier(tok_folder, transport).extract_texts([text])
    assert entities and all(text[e.start:e.end] == e.text and e.label == "LOC" for e in entities)


def method_results(clf: TokenClassifier, texts: list[str]):
    method = build_method("tokens", classifier=clf, options=ExtractOptions(schema=load_schema("kind")))
    out = {}
    for done in method.stream(((i, t, None) for i, t in enumerate(texts)), Summary(), window=len(texts)):
        out.update(done)
    return [out[i] for i in range(len(texts))]


def test_a_refused_request_fails_its_text_alone(tok_folder: Path):
    transport, seen = pooling_server(status={1: 400, 3: 400})  # the batch, then the second text alone
    results = method_results(classifier(tok_folder, transport), ["primo", "secondo", "terzo"])
    assert [r.error is not None for r in results] == [False, True, False]
    assert "HTTP 400" in results[1].error and len(seen) == 4


@pytest.mark.parametrize("status,words", [
    pytest.param({1: 503, 2: 503}, "did not answer after 2 tries (HTTP 503)", id="5xx-until-retries-run-out"),
    pytest.param({1: -1, 2: -1}, "did not answer after 2 tries (ConnectError", id="down"),
    pytest.param({1: 401}, "refused the API key", id="wrong-key"),
    pytest.param({1: 404}, "no /pooling route", id="no-route"),
])
def test_a_server_in_trouble_stops_the_run_instead_of_failing_texts(tok_folder: Path, status, words):
    transport, _ = pooling_server(status=status)
    with pytest.raises(ServerError, match=re.escape(words)):
        method_results(classifier(tok_folder, transport, retries=1), ["primo", "secondo"])


def test_server_trouble_then_an_answer_is_retried(tok_folder: Path):
    transport, seen = pooling_server(status={1: 503, 2: -1})
    results = method_results(classifier(tok_folder, transport, retries=2), ["primo", "secondo"])
    assert not any(r.error for r in results) and len(seen) == 3


@pytest.mark.parametrize("server,words", [
    pytest.param({}, None, id="bidirectional-classifier"),
    pytest.param({"status": {1: 400}}, "does no token classification (HTTP 400", id="generate-runner"),
    pytest.param({"status": {1: 404}}, "does no token classification (HTTP 404", id="no-route"),
    pytest.param({"width": 5}, "not the adapter's 7 BIO labels", id="other-labels"),
    pytest.param({"causal": True}, "with causal attention", id="causal"),
])
def test_the_server_is_probed_before_the_run(server, words):
    transport, _ = pooling_server(**server)
    if words is None:
        probe_token_classifier(INFO, None, len(LABELS), transport=transport)
        return
    with pytest.raises(ServerError) as exc:
        probe_token_classifier(INFO, None, len(LABELS), transport=transport)
    assert words in str(exc.value) and len(str(exc.value).splitlines()) == 1
    assert "merge" in str(exc.value) or "is_causal" in str(exc.value) or "merged folder" in str(exc.value)


@pytest.mark.parametrize("method,window,expected", [
    pytest.param("tokens", 256, ["--served-model-name", "kind", "--runner", "pooling", "--hf-overrides",
                                 '{"is_causal": false}', "--max-model-len", "256"], id="tokens"),
    pytest.param("tokens", None, ["--served-model-name", "kind", "--runner", "pooling", "--hf-overrides",
                                  '{"is_causal": false}', "--max-model-len", "512"], id="tokens-default-window"),
    pytest.param("generative", None, ["--served-model-name", "kind"], id="generative"),
])
def test_serve_args(method, window, expected):
    assert list(serve_args("kind", method, window)) == expected



def test_merge_of_a_folder_that_is_no_adapter_is_one_line(tmp_path: Path):
    from click.testing import CliRunner

    from extractor.cli import main

    result = CliRunner().invoke(main, ["merge", "--adapter", f"x={tmp_path / 'none'}"])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and "is not a peft adapter folder" in result.output
