"""The ``tokens`` extraction method: a decoder LLM with the causal mask off, as a BIO token classifier.

* :mod:`.classifier`: :class:`TokenEngineConfig`, :class:`TokenClassifier` (texts -> entities);
* :mod:`.backends`: per-token logits from vLLM's pooling runner or transformers;
* :mod:`.windows`: token windows with overlap over long texts;
* :mod:`.spans`: words, first-subword labels, BIO -> character spans;
* :mod:`.merge`: a trained adapter (LoRA + head) merged into its base, cached, for vLLM.

Nothing here imports torch, transformers or vllm at import time.
"""

from .classifier import TokenClassifier, TokenEngineConfig
from .merge import METHOD, is_token_adapter, merge_token_adapter

__all__ = ["METHOD", "TokenClassifier", "TokenEngineConfig", "is_token_adapter", "merge_token_adapter"]
