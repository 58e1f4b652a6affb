"""What the token and sequence trainers share: a float32 head and a ``Trainer`` that logs throughput.

The trained head (peft ``modules_to_save``) stays in float32 on a bfloat16 body; the ``Trainer``
subclass logs optimiser steps/s, windows/s and tokens/s (evaluation time left out) and adds the
live model's dev scores to each evaluation, so best-checkpoint choice and early stopping see them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def float32_head(peft_model: Any) -> None:
    """Keep the trained head (modules_to_save copy) in float32, fed float32 hidden states."""
    import torch

    for name, module in peft_model.named_modules():
        if name.endswith("modules_to_save.default") and isinstance(module, torch.nn.Linear):
            module.float()
            module.register_forward_pre_hook(lambda mod, args: (args[0].to(mod.weight.dtype), *args[1:]))


class Meter:
    """Training throughput: optimiser steps, windows and real tokens per second, evaluation time left out."""

    def __init__(self, grad_accum: int) -> None:
        self.grad_accum = grad_accum
        self.counts = [0, 0, 0]  # micro-batches, windows, tokens
        self.paused = 0.0
        self.start: tuple[float, list[int], float] | None = None
        self.mark: tuple[float, list[int], float] | None = None

    def add(self, windows: int, tokens: int) -> None:
        if self.start is None:
            self.start = self.mark = (time.perf_counter(), [0, 0, 0], 0.0)
        for i, n in enumerate((1, windows, tokens)):
            self.counts[i] += n

    def _since(self, mark: tuple[float, list[int], float] | None) -> dict[str, float]:
        t, counts, paused = mark or (time.perf_counter(), self.counts, self.paused)
        dt = max(time.perf_counter() - t - (self.paused - paused), 1e-9)
        d = [now - then for now, then in zip(self.counts, counts, strict=True)]
        return {"steps_per_s": round(d[0] / self.grad_accum / dt, 4), "examples_per_s": round(d[1] / dt, 3),
                "tokens_per_s": round(d[2] / dt, 1)}

    def lap(self) -> dict[str, float]:
        """Rates since the previous lap."""
        rates = self._since(self.mark)
        self.mark = (time.perf_counter(), list(self.counts), self.paused)
        return rates

    def total(self) -> dict[str, float]:
        return self._since(self.start)


def make_trainer_class() -> type:
    """A ``transformers.Trainer`` that logs steps/s, examples/s and tokens/s, and evaluates strict F1."""
    from transformers import Trainer

    class TokenTrainer(Trainer):
        def __init__(self, *args: Any, f1: Callable[[Any], dict[str, float]], **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._f1 = f1
            self.meter = Meter(self.args.gradient_accumulation_steps)

        def training_step(self, model: Any, inputs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            mask = inputs.get("attention_mask")
            self.meter.add(int(inputs["input_ids"].shape[0]), int(mask.sum()) if mask is not None else 0)
            return super().training_step(model, inputs, *args, **kwargs)

        def log(self, logs: dict[str, float], *args: Any, **kwargs: Any) -> None:
            if "loss" in logs and self.meter.start is not None:
                logs.update(self.meter.lap())
            super().log(logs, *args, **kwargs)

        def evaluation_loop(self, *args: Any, **kwargs: Any) -> Any:
            """Eval loss, plus the strict micro-F1 of the live model (so best-model and early stopping see it)."""
            t = time.perf_counter()
            output = super().evaluation_loop(*args, **kwargs)
            prefix = kwargs.get("metric_key_prefix", args[4] if len(args) > 4 else "eval")
            output.metrics.update({f"{prefix}_{k}": v for k, v in self._f1(self.model).items()})
            self.meter.paused += time.perf_counter() - t
            return output

    return TokenTrainer
