"""Tiny random Qwen2 / Llama models with a locally trained tokenizer, for the token-classification tests.

No hub. ``build_tiny_base`` writes a ``*ForCausalLM`` folder, the shape of a real base checkpoint
the trainer starts from; ``build_tiny_token_model`` writes a ``*ForTokenClassification`` with BIO
labels and ``is_causal: false``, the shape of a merged adapter. Their predictions mean nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from tiny_model import build_tokenizer, synthetic_examples

ARCHES = ("qwen2", "llama")
LABELS = ("PER", "ORG", "LOC", "DATE")


def _config(arch: str, vocab_size: int, **extra: object) -> object:
    from transformers import LlamaConfig, Qwen2Config

    common = dict(vocab_size=vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                  num_attention_heads=2, num_key_value_heads=1, head_dim=32, max_position_embeddings=512,
                  tie_word_embeddings=False, bos_token_id=None, **extra)
    if arch == "qwen2":
        return Qwen2Config(**common)
    if arch == "llama":
        return LlamaConfig(**common)
    raise ValueError(f"arch must be one of {ARCHES}")


def tokenizer_corpus(n: int = 300) -> list[str]:
    return [text for text, _ in synthetic_examples(n, seed=7)] * 2


def _tokenizer(folder: Path) -> object:
    from transformers import AutoTokenizer

    build_tokenizer(folder, tokenizer_corpus(), vocab_size=600)
    return AutoTokenizer.from_pretrained(str(folder))


def build_tiny_base(folder: Path, arch: str = "qwen2", seed: int = 0) -> Path:
    """A random tiny ``Qwen2ForCausalLM`` / ``LlamaForCausalLM`` plus tokenizer in ``folder``."""
    import torch
    from transformers import AutoModelForCausalLM

    folder.mkdir(parents=True, exist_ok=True)
    tok = _tokenizer(folder)
    torch.manual_seed(seed)
    config = _config(arch, len(tok), eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    AutoModelForCausalLM.from_config(config).save_pretrained(str(folder), safe_serialization=True)
    return folder


def build_tiny_token_model(folder: Path, arch: str = "qwen2", seed: int = 0,
                           labels: tuple[str, ...] = LABELS) -> Path:
    """A random tiny ``*ForTokenClassification`` with BIO labels over ``labels`` and the causal mask off."""
    import torch
    from transformers import AutoModelForTokenClassification

    from extractor.tokens.spans import bio_labels

    folder.mkdir(parents=True, exist_ok=True)
    tok = _tokenizer(folder)
    bio = bio_labels(labels)
    torch.manual_seed(seed)
    config = _config(arch, len(tok), eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                     num_labels=len(bio), id2label=dict(enumerate(bio)), label2id={b: i for i, b in enumerate(bio)})
    config.is_causal = False
    model = AutoModelForTokenClassification.from_config(config)
    with torch.no_grad():  # a head with a spread of logits, so argmax ties are unlikely
        model.score.weight.normal_(0.0, 1.0)
    model.save_pretrained(str(folder), safe_serialization=True)
    return folder


def write_export(path: Path, n: int, seed: int = 0) -> Path:
    """``n`` synthetic messages as an export JSONL (``text`` + ``entities`` with offsets)."""
    with path.open("w", encoding="utf-8") as fh:
        for text, ents in synthetic_examples(n, seed):
            entities, at = [], 0
            for surface, label in ents:
                start = text.index(surface, at)
                entities.append({"text": surface, "label": label, "start": start, "end": start + len(surface)})
                at = start + len(surface)
            fh.write(json.dumps({"text": text, "entities": entities}, ensure_ascii=False) + "\n")
    return path
