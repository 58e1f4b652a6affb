"""Where the time goes inside vLLM's engine step: :class:`StepProfiler`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class StepProfiler:
    """Wall time spent in each part of vLLM's in-process engine step, by wrapping its methods.

    Needs ``VLLM_ENABLE_V1_MULTIPROCESSING=0`` (the engine core runs in this process).
    Parts: ``schedule``, ``forward`` (one call per engine step)
    (model forward + logits), ``grammar_fill`` (scheduler building the token bitmask),
    ``sample`` (bitmask apply + sampling), ``mask_apply`` (the bitmask apply alone),
    ``update`` (scheduler bookkeeping, grammar accept included), ``grammar_accept``.
    """

    def __init__(self, engine: Any) -> None:
        self.totals: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self._undo: list[Callable[[], None]] = []
        core = engine.llm.llm_engine.engine_core.engine_core
        sched = core.scheduler
        self._wrap(sched, "schedule", "schedule")
        self._wrap(core.model_executor, "execute_model", "forward")
        self._wrap(sched, "get_grammar_bitmask", "grammar_fill")
        self._wrap(core.model_executor, "sample_tokens", "sample")
        self._wrap(sched, "update_from_output", "update")
        self._wrap(core.structured_output_manager, "accept_tokens", "grammar_accept")
        import vllm.v1.worker.gpu_model_runner as gmr

        self._wrap(gmr, "apply_grammar_bitmask", "mask_apply", module=True)

    def _wrap(self, obj: Any, name: str, part: str, module: bool = False) -> None:
        original = getattr(obj, name)
        totals, counts = self.totals, self.counts

        def wrapper(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*a, **kw)
            finally:
                totals[part] = totals.get(part, 0.0) + time.perf_counter() - t0
                counts[part] = counts.get(part, 0) + 1

        setattr(obj, name, wrapper)
        if module:
            self._undo.append(lambda: setattr(obj, name, original))
        else:
            self._undo.append(lambda: obj.__dict__.pop(name, None))

    def reset(self) -> None:
        self.totals.clear()
        self.counts.clear()

    def close(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()

    def summary(self, wall: float | None = None) -> str:
        steps = self.counts.get("forward", 0)
        parts = []
        for part in ("schedule", "forward", "grammar_fill", "sample", "mask_apply", "update", "grammar_accept"):
            if part in self.totals:
                per = self.totals[part] / steps * 1000 if steps else 0.0
                parts.append(f"{part}={self.totals[part]:.2f}s ({per:.1f} ms/step)")
        head = f"{steps} steps"
        if wall is not None:
            inside = sum(self.totals.get(k, 0.0) for k in ("schedule", "forward", "grammar_fill", "sample", "update"))
            head += f", outside these parts {wall - inside:.2f}s"
        return head + ": " + "  ".join(parts)

