"""Whole-message classification with a bidirectional decoder and a sequence-classification head.

The ``sequence`` method: the base decoder loaded as ``*ForSequenceClassification`` with the
causal mask off, a LoRA + head trained by ``extract-entities train --task classify --method
sequence``, merged and served by vLLM's pooling runner (``LLM.classify``) or transformers.
"""

from .classifier import SequenceClassifier, SequenceEngineConfig, head_tail
from .merge import METHOD, adapter_class_labels, is_sequence_adapter

__all__ = ["METHOD", "SequenceClassifier", "SequenceEngineConfig", "adapter_class_labels", "head_tail",
           "is_sequence_adapter"]
