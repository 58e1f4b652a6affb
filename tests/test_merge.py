"""--merge: the adapter folded into the base weights computes what base + LoRA computes; cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.adapters import load_adapter
from extractor.merge import merge_adapter

pytestmark = pytest.mark.slow


def test_merged_weights_match_lora_and_are_cached(tiny_model: Path, tiny_adapters: dict[str, Path], tmp_path: Path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter = load_adapter("alpha", tiny_adapters["alpha"])
    merged = merge_adapter(str(tiny_model), adapter, tmp_path)
    assert (merged / "config.json").is_file() and (merged / "tokenizer.json").is_file()
    stamp = (merged / "model.safetensors").stat().st_mtime_ns
    assert merge_adapter(str(tiny_model), adapter, tmp_path) == merged
    assert (merged / "model.safetensors").stat().st_mtime_ns == stamp  # reused, not rebuilt

    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    ids = tok("Buongiorno Mario Rossi, ci vediamo a Milano.", return_tensors="pt")["input_ids"]
    base = AutoModelForCausalLM.from_pretrained(str(tiny_model), dtype=torch.float32)
    with torch.no_grad():
        lora_logits = PeftModel.from_pretrained(base, str(adapter.path)).eval()(ids).logits
        merged_logits = AutoModelForCausalLM.from_pretrained(str(merged), dtype=torch.float32)(ids).logits
        plain_logits = AutoModelForCausalLM.from_pretrained(str(tiny_model), dtype=torch.float32)(ids).logits
    # bf16 storage of the merged weights: close to LoRA, and clearly different from the base.
    assert torch.allclose(merged_logits, lora_logits, atol=0.15, rtol=0.05)
    assert not torch.allclose(plain_logits, lora_logits, atol=0.15, rtol=0.05)
