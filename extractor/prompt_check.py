"""The prompt an adapter was trained on, recorded by the trainer and checked when it is served.

The trainer renders a fixed probe message with its prompt builder and tokenizer and stores the
prompt and a hash of its token ids in the adapter's metadata. Serving renders the same probe
through the planner it sends requests with; a different string or different ids (another
``--shots``, another schema, a changed chat template or tokenizer) refuse the run with the first
difference, instead of silently serving the adapter a prompt it never saw.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .errors import ConfigError

PROBE_TEXT = "Buongiorno, sono Mario Rossi della Edilnord S.r.l. di Milano: ci sentiamo lunedì."
"""The message the probe prompt is rendered for (short, so it is always one chunk)."""
METADATA_KEY = "prompt_probe"


def ids_digest(ids: Sequence[int]) -> str:
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:16]


def probe(render: Callable[[str], str], encode: Callable[[str], Sequence[int]]) -> dict[str, Any]:
    """The metadata entry for a prompt builder's ``render`` and the tokenizer's ``encode``."""
    prompt = render(PROBE_TEXT)
    ids = list(encode(prompt))
    return {"text": PROBE_TEXT, "prompt": prompt, "n_ids": len(ids), "ids_sha256": ids_digest(ids)}


def first_difference(a: str, b: str) -> str:
    """Where two prompts first differ, with a little context on each side."""
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    lo = max(at - 30, 0)
    return f"at character {at}: trained {a[lo:at + 30]!r}, served {b[lo:at + 30]!r}"


def check_served_prompt(adapter_name: str, metadata: dict[str, Any], render: Callable[[str], str],
                        served_ids: Callable[[str], Sequence[int] | None], shots: int) -> str:
    """Refuse to serve ``adapter_name`` with a prompt other than the one its metadata records.

    ``served_ids`` gives the token ids the engine would receive for a message text. Returns
    ``matched``, or ``not recorded`` for an adapter trained before the probe was recorded.
    """
    trained = metadata.get(METADATA_KEY)
    if not isinstance(trained, dict) or "prompt" not in trained:
        return "not recorded"
    text = trained.get("text", PROBE_TEXT)
    prompt = render(text)
    hint = (f"the adapter was trained with --shots {metadata.get('shots')}, schema {metadata.get('schema')}, "
            f"prompt format {metadata.get('prompt_format')}; this run uses --shots {shots}")
    if prompt != trained["prompt"]:
        raise ConfigError(f"adapter {adapter_name} would be served a prompt it was not trained on "
                          f"({first_difference(trained['prompt'], prompt)}): {hint}")
    ids = served_ids(text)
    if ids is not None and ids_digest(ids) != trained.get("ids_sha256"):
        raise ConfigError(f"adapter {adapter_name}: the prompt is the one it was trained on but its token ids differ "
                          f"({len(ids)} served, {trained.get('n_ids')} trained): the tokenizer changed since training; "
                          "retrain the adapter with this tokenizer")
    return "matched"


def check_adapters(adapters: Iterable[Any], method: Any, shots: int) -> dict[str, str]:
    """:func:`check_served_prompt` for every adapter a generative ``method`` serves (it has ``prompts``
    and ``planner``); the summary fact ``prompt_check`` listing each result, or nothing without adapters."""
    checks = [f"{a.name}: " + check_served_prompt(a.name, a.metadata, method.prompts.render,
                                                  lambda text: method.planner.plan(text)[0].token_ids, shots)
              for a in adapters]
    return {"prompt_check": ", ".join(checks)} if checks else {}
