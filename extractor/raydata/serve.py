"""The run side of ``--ray``: the replicas' engine arguments from the prepared model, and the method.

The model and adapters are resolved and checked here as for the in-process engine; their folders
must be readable at the same paths on every Ray node (or be hub ids the nodes can fetch).
"""

from __future__ import annotations

from collections.abc import Callable

from ..config import EngineOptions
from ..engine import LoopStop
from ..errors import ConfigError, EngineError
from ..methods import Method, build_method
from ..options import ExtractOptions
from ..prompt_check import check_served_prompt
from ..serving import PreparedModel
from ..settings import Settings
from . import rows as R
from .method import RayEngineSpec
from .options import RayOptions


def build_ray_method(prepared: PreparedModel, engine_options: EngineOptions, settings: Settings,
                     options: ExtractOptions, ray_options: RayOptions, batch_size: int,
                     notify: Callable[[str], None] | None = None) -> tuple[Method, dict[str, str]]:
    """The Ray Data LLM method for ``prepared`` (engines start when the first batch runs); summary facts."""
    if prepared.method != "generative":
        raise ConfigError("--ray runs the generative method: run the tokens method in-process")
    try:
        import ray.data.llm  # noqa: F401 - Ray Data LLM is there
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise EngineError(f"--ray needs Ray Data LLM ({exc}): pip install 'extract-entities[ray]'") from None
    from ..engine import on_cpu

    adapters = {a.name: str(a.path) for a in prepared.adapters}
    kwargs = R.engine_kwargs(
        max_model_len=engine_options.max_model_len, decoding_backend=engine_options.decoding_backend,
        eager=engine_options.eager, lora_rank=max((a.rank for a in prepared.adapters), default=None),
        loras=len(adapters), on_cpu=on_cpu(), kv_cache_bytes=settings.kv_cache_bytes)
    tokenizer = AutoTokenizer.from_pretrained(prepared.path)
    method = build_method("ray", spec=RayEngineSpec(prepared.path, adapters, kwargs), ray=ray_options, tokenizer=tokenizer,
                          options=options, prompt_format=prepared.prompt_format,
                          max_model_len=engine_options.max_model_len, batch_size=batch_size,
                          loop_stop=LoopStop() if engine_options.loop_stop else None)
    if notify is not None:
        notify(f"extracting on Ray Data LLM ({ray_options.address or 'RAY_ADDRESS or a local Ray'}, {ray_options.replicas} engine "
               f"replicas, {len(adapters)} adapters): the engines start with the first batch")
    checks = [f"{a.name}: " + check_served_prompt(a.name, a.metadata, method.prompts.render,
                                                  lambda text: method.planner.plan(text)[0].token_ids, options.shots)
              for a in prepared.trained]
    facts = {"method": "generative", "backend": "ray-data-llm"}
    return method, facts | ({"prompt_check": ", ".join(checks)} if checks else {})
