"""Run as a script: serve a token adapter merged into its base as the tool does (``auto``: vLLM's pooling
runner unless it cannot attend both ways) and through transformers, and print (as JSON) the backend
chosen and how far its logits are from transformers'.

``python tests/token_backends_check.py BASE ADAPTER CACHE`` — one vLLM engine in a process of its own,
so a test can check every architecture without engines piling up in the test process.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(base: str, adapter_path: str, cache: str) -> dict:
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    import numpy as np

    from extractor.adapters import load_adapter
    from extractor.tokens import TokenClassifier
    from extractor.tokens.backends import TransformersBackend

    adapter = load_adapter("tok", adapter_path)
    texts = ["Mario Rossi lavora a Milano per la Edilnord.", "Ciao Sara!"]
    # transformers first: once vLLM has loaded a model through its Transformers backend (Phi), it has
    # registered its own classes with transformers' auto classes in this process.
    reference = TokenClassifier.for_adapter(adapter, base, Path(cache), backend="transformers", dtype="float32")
    ids = [list(reference.encode(t).inputs[0]) for t in texts]
    want = TransformersBackend.load(reference.config.model, "float32").logits(ids)
    served = TokenClassifier.for_adapter(adapter, base, Path(cache), backend="auto", dtype="float32",
                                         enforce_eager=True, kv_cache_bytes=32 << 20, batch_tokens=512)
    got = served.backend.logits(ids)
    return {"backend": served.backend_name,
            "max_abs_diff": max(float(np.abs(g - w).max()) for g, w in zip(got, want, strict=True)),
            "same_argmax": all(bool((g.argmax(-1) == w.argmax(-1)).all()) for g, w in zip(got, want, strict=True))}


if __name__ == "__main__":
    print("RESULT " + json.dumps(main(*sys.argv[1:4])), flush=True)
