"""What a person sees: status lines, the summary line, and which engine warnings are hidden."""

from __future__ import annotations

import io
import logging

import pytest

from extractor.logs import KNOWN_NOISE, KnownNoise
from extractor.methods import build_method
from extractor.pipeline import ExtractOptions, Extractor
from extractor.progress import ProgressDisplay, watch
from extractor.summary import Summary
from schemas import NO_ENTITIES, load_schema
from schemas.classes import SPAM


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def display() -> tuple[ProgressDisplay, Clock]:
    clock = Clock()
    return ProgressDisplay(io.StringIO(), tty=False, clock=clock, ticker=False), clock


@pytest.mark.parametrize(("total", "done", "seconds", "expected"), [
    pytest.param(None, 3, 10, "progress: 3 messages, 7 entities, 1 errors, 0.30 msg/s, 10s elapsed", id="no-total"),
    pytest.param(40, 10, 100, "progress: 10/40 messages, 7 entities, 1 errors, 0.10 msg/s, 1m40s elapsed, ETA 5m00s",
                 id="with-total-and-eta"),
    pytest.param(4, 4, 5, "progress: 4/4 messages, 7 entities, 1 errors, 0.80 msg/s, 5s elapsed", id="done-no-eta"),
])
def test_status_line(total, done, seconds, expected):
    progress, clock = display()
    if total is not None:
        progress.set_total(total)
    progress.advance(done - 1, entities=7)
    progress.advance(1, errors=1)
    clock.now = seconds
    assert progress.status_line() == expected


def test_total_set_from_another_thread_applies_on_the_next_advance():
    progress, _ = display()
    progress.set_total(12)
    assert progress.total is None
    progress.advance(1)
    assert progress.total == 12


def test_ticker_writes_lines_while_nothing_finishes():
    stream = io.StringIO()
    progress = ProgressDisplay(stream, tty=False, interval=0.05)
    import time

    time.sleep(0.3)
    progress.close()
    assert stream.getvalue().count("progress: 0 messages") >= 2


@pytest.mark.parametrize(("counts", "expected"), [
    pytest.param({"messages": 1, "entities": 1}, "done: 1 message, 1 entity in", id="singular"),
    pytest.param({"messages": 40, "entities": 312, "errors": 2, "duplicates": 3, "skipped": 5},
                 "done: 40 messages, 312 entities, 2 errors (see out.errors.jsonl), 5 already done, 3 duplicates "
                 "skipped in", id="everything"),
])
def test_summary_line(counts, expected):
    summary = Summary(**counts)
    assert summary.line("out.errors.jsonl").startswith(expected)
    assert summary.line().endswith("msg/s)")


@pytest.mark.parametrize(("logger", "level", "message", "shown"), [
    pytest.param("vllm.v1.worker.cpu_worker", logging.WARNING, "libtcmalloc is not found in LD_PRELOAD. For best...",
                 False, id="tcmalloc"),
    pytest.param("vllm.v1.structured_output.utils", logging.WARNING, "Enabling outlines cache. This is unbounded.",
                 False, id="outlines-cache"),
    pytest.param("vllm.v1.worker.cpu_worker", logging.WARNING, "KV cache is too small for the prompt", True,
                 id="other-warning-shown"),
    pytest.param("vllm.v1.worker.cpu_worker", logging.ERROR, "libtcmalloc is not found in LD_PRELOAD", True,
                 id="errors-always-shown"),
])
def test_known_noise_filter(logger, level, message, shown):
    record = logging.LogRecord(logger, level, __file__, 1, message, None, None)
    assert KnownNoise(KNOWN_NOISE[logger]).filter(record) is shown


@pytest.mark.parametrize(("eager", "compiled", "expected"), [
    pytest.param(True, None, "--eager: no compilation", id="eager"),
    pytest.param(False, None, "compiling the model, first run on this machine only", id="first-start"),
    pytest.param(False, "inductor", "reusing the compiled model", id="inductor-cache-there"),
    pytest.param(False, "vllm/torch_compile_cache", "reusing the compiled model", id="vllm-cache-there"),
])
def test_engine_start_note(tmp_path, eager, compiled, expected):
    from extractor.config import EngineOptions
    from extractor.serving import engine_start_note
    from extractor.settings import load_settings

    settings = load_settings({"XDG_CACHE_HOME": str(tmp_path), "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / "inductor")})
    if compiled:
        (tmp_path / compiled / "x").mkdir(parents=True)
    assert expected in engine_start_note(EngineOptions(eager=eager), settings, "m")


# -- evaluations report each text as it ends --------------------------------------------------
class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int, int]] = []

    def advance(self, done: int, entities: int = 0, errors: int = 0) -> None:
        self.calls.append((done, entities, errors))


def test_a_classification_display_leaves_entities_out():
    progress = ProgressDisplay(io.StringIO(), tty=False, clock=Clock(), ticker=False, entities=False)
    progress.set_total(3)
    progress.advance(1, errors=1)
    assert progress.status_line(now=2.0) == "progress: 1/3 messages, 1 errors, 0.50 msg/s, 2s elapsed, ETA 4s"


def test_watch_off_is_none_and_on_knows_the_total():
    with watch(5, enabled=False) as off:
        assert off is None
    stream = io.StringIO()
    with watch(5, stream=stream) as on:
        on.advance(2)
        assert on.total == 5 and on.status_line().startswith("progress: 2/5 messages")
    assert on._closed.is_set()


def fake_extractor(schema, classes, script) -> Extractor:
    opts = ExtractOptions(schema=schema, classes=classes)
    return Extractor(build_method("fake", options=opts, script=script), opts, model_name="scripted")


def test_entity_evaluation_reports_each_text_with_its_entities():
    from training.evaluate import predict
    from training.examples import Example

    extractor = fake_extractor(load_schema("kind"), (), lambda t: [("Roma", "LOC")] if "Roma" in t else [])
    examples = [Example(text, (), str(i)) for i, text in enumerate(("A Roma", "Niente", "Roma e basta"))]
    recorder = Recorder()
    predict(extractor, examples, None, 2, Summary(), recorder)
    assert recorder.calls == [(1, 1, 0), (1, 0, 0), (1, 1, 0)]


def test_class_evaluation_reports_each_text_and_its_errors():
    from training.classify_eval import classify_texts

    extractor = fake_extractor(NO_ENTITIES, (SPAM,), lambda t: {"spam": "maybe" if "?" in t else "ham"})
    recorder = Recorder()
    labels, probs = classify_texts(extractor, ["ciao", "boh?", "ok"], None, "spam", 2, Summary(), recorder)
    assert labels == ["ham", None, "ham"]
    assert probs == [None, None, None]  # a generative answer has no probabilities
    assert recorder.calls == [(1, 0, 0), (1, 0, 1), (1, 0, 0)]
