"""What every benchmark shares: its environment, throughput measures, timing, report lines, the
command-line parser, and factories for engines and extractors configured as served.

Every benchmark measures both sides of its comparison in one process (or one engine per child
process, :mod:`benchmarks.children`), on the same model and the same messages, and prints the
ratio on its last line (:func:`ratio_line`). Nothing here is a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


def setup() -> None:
    """Set the environment defaults the benchmarks run under; every script's ``main()`` calls it first.

    Offline Hugging Face hub, vLLM's engine core in this process (:class:`~benchmarks.profiler.StepProfiler`
    needs it), no tokenizer threads. A value already in the environment wins.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


# -- measures and report lines --------------------------------------------------------------

@dataclass
class Measure:
    """Throughput of one side of a comparison."""

    label: str
    seconds: float = 0.0
    messages: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    unparsed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, seconds: float, messages: int, prompt_tokens: int, completion_tokens: int, unparsed: int = 0) -> None:
        self.seconds += seconds
        self.messages += messages
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.unparsed += unparsed

    def add_texts(self, seconds: float, results: list[Any]) -> None:
        """Add one timed ``Extractor.extract_texts`` pass; unparsed = texts whose output could not be read."""
        self.add(seconds, len(results), sum(r.prompt_tokens for r in results),
                 sum(r.completion_tokens for r in results), sum(r.error is not None for r in results))

    @property
    def msgs_per_s(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def tokens_per_s(self) -> float:
        return (self.prompt_tokens + self.completion_tokens) / self.seconds if self.seconds else 0.0

    @property
    def gen_tokens_per_s(self) -> float:
        return self.completion_tokens / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        extra = "".join(f" {k}={v}" for k, v in self.extra.items())
        return (f"   {self.label:<44} {self.messages:>4} msgs {self.seconds:8.2f} s  {self.msgs_per_s:7.3f} msg/s  "
                f"{self.tokens_per_s:7.1f} tok/s  {self.gen_tokens_per_s:6.1f} gen tok/s  "
                f"(prompt {self.prompt_tokens}, generated {self.completion_tokens}, unparsed {self.unparsed}){extra}")

    def show(self) -> Measure:
        print(self.line(), flush=True)
        return self


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    box = [0.0]
    t0 = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - t0


def ratio_line(name: str, num: float, den: float, what: str) -> None:
    """The last line of every benchmark."""
    value = num / den if den else float("nan")
    print(f"RATIO {name}: {value:.3f}  ({what})", flush=True)


def parser(description: str, n: int = 16) -> argparse.ArgumentParser:
    """The options every engine benchmark takes: ``--n --seed --max-tokens --shots --rounds``."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--n", type=int, default=n, help=f"messages per timed pass (default {n})")
    p.add_argument("--seed", type=int, default=0, help="message generator seed")
    p.add_argument("--max-tokens", type=int, default=512, help="completion bound (the pipeline's default is 512)")
    p.add_argument("--shots", type=int, default=2, help="few-shot examples in the prompt (the default is 2)")
    p.add_argument("--rounds", type=int, default=1,
                   help="timed rounds per side, alternating sides (A B, B A, ...) to spread load drift")
    return p


# -- model and engine ---------------------------------------------------------------------

def default_model_path() -> str:
    """The folder of the ``default`` model as the settings resolve it."""
    from extractor.models import resolve_model
    from extractor.settings import load_settings

    return resolve_model("default", load_settings()).path


def make_engine(model: str | None = None, **overrides: Any) -> tuple[Any, float]:
    """An :class:`extractor.engine.Engine` configured like ``runner.build_engine``; returns it and its start time."""
    from extractor.engine import Engine, EngineConfig
    from extractor.settings import load_settings

    settings = load_settings()
    cfg = {"model": model or default_model_path(), "max_model_len": 4096, "kv_cache_bytes": settings.kv_cache_bytes,
           "cache_dir": settings.cache_dir}
    cfg.update(overrides)
    with stopwatch() as t:
        engine = Engine(EngineConfig(**cfg))
    print(f"   engine start ({cfg.get('decoding_backend', 'outlines')}, "
          f"prefix_caching={cfg.get('prefix_caching', True)}, "
          f"{len(cfg.get('adapters', ()))} adapters): {t[0]:.1f} s", flush=True)
    return engine, t[0]


def merged_model(adapter: Any) -> str:
    """``adapter`` merged into the default model as ``--merge`` serves it (built once, then cached); prints the time."""
    from extractor.merge import merge_adapter
    from extractor.settings import load_settings

    with stopwatch() as t:
        merged = merge_adapter(default_model_path(), adapter, load_settings().cache_dir)
    print(f"   merge (cached after the first run): {t[0]:.1f} s -> {merged}", flush=True)
    return str(merged)


def schema():
    """The ``italian_email`` schema the benchmarks extract."""
    from schemas import load_schema

    return load_schema("italian_email")


def served_extractor(engine: Any, args: argparse.Namespace):
    """The served path on ``engine``: the ``italian_email`` schema with ``--shots`` and ``--max-tokens``."""
    from extractor.methods.generative import GenerativeMethod
    from extractor.pipeline import ExtractOptions, Extractor

    options = ExtractOptions(schema=schema(), shots=args.shots, max_tokens=args.max_tokens)
    return Extractor(GenerativeMethod(engine, options), options, model_name="default")


def prompt_builder(engine: Any, shots: int = 2):
    """The served prompts (:func:`schema`, ``shots`` examples, chat template of ``engine``) without the pipeline."""
    from extractor.prompts import PromptBuilder

    return PromptBuilder(schema(), shots, "chat", engine.tokenizer)


def gen_measure(label: str, gens: list[Any], seconds: float) -> Measure:
    """A :class:`Measure` from ``Engine.generate`` results; unparsed = not valid JSON of the schema."""
    bad = 0
    for g in gens:
        try:
            data = json.loads(g.text)
            if not isinstance(data, dict) or not isinstance(data.get("entities"), list):
                bad += 1
        except json.JSONDecodeError:
            bad += 1
    m = Measure(label)
    m.add(seconds, len(gens), sum(g.prompt_tokens for g in gens), sum(g.completion_tokens for g in gens), bad)
    return m

