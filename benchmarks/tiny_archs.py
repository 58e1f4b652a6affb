"""Tiny random models of every architecture the model registry lists, with family-like tokenizers.

Each :class:`Family` is one registry alias: the real transformers architecture class with the
real module names and attention layout (GQA, Mistral's sliding window, Mixtral's experts, Gemma's
head_dim 256 and tied embeddings, Phi's partial rotary and ``dense``/``fc1``/``fc2``, Qwen2's
attention bias), shrunk to a few layers of width 64-128, and a byte-level BPE tokenizer trained
here whose special tokens, BOS behaviour and chat template follow the family's documented format
(Llama-2 ``[INST] <<SYS>>``, Llama-3 header ids, Mistral ``[INST]`` refusing a system role, Gemma
``<start_of_turn>`` refusing a system role, ChatML for Qwen2, no template for Phi-1.5). The
templates are written here from the families' model cards, not copied from their checkpoints.

Weights are random: what these models generate means nothing; they prove that training, serving
and evaluation run for every architecture, and that a registry entry is right.

    python benchmarks/tiny_archs.py OUT_DIR [--aliases a,b]   # writes OUT_DIR/<alias>/
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_ALTERNATE = ("{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
              "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}")

LLAMA2_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{% set sys = messages[0]['content'] %}{% set msgs = messages[1:] %}"
    "{% else %}{% set sys = none %}{% set msgs = messages %}{% endif %}"
    "{% for m in msgs %}" + _ALTERNATE +
    "{% if m['role'] == 'user' %}"
    "{% if loop.index0 == 0 and sys is not none %}"
    "{{ bos_token + '[INST] <<SYS>>\\n' + sys + '\\n<</SYS>>\\n\\n' + m['content'] | trim + ' [/INST]' }}"
    "{% else %}{{ bos_token + '[INST] ' + m['content'] | trim + ' [/INST]' }}{% endif %}"
    "{% else %}{{ ' ' + m['content'] | trim + ' ' + eos_token }}{% endif %}{% endfor %}"
)
LLAMA3_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' + m['content'] | trim + '<|eot_id|>' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)
MISTRAL_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}" + _ALTERNATE +
    "{% if m['role'] == 'user' %}{{ '[INST] ' + m['content'] + ' [/INST]' }}"
    "{% elif m['role'] == 'assistant' %}{{ m['content'] + eos_token }}"
    "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}"
)
GEMMA_TEMPLATE = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    "{% for m in messages %}" + _ALTERNATE +
    "{% if m['role'] == 'assistant' %}{% set role = 'model' %}{% else %}{% set role = m['role'] %}{% endif %}"
    "{{ '<start_of_turn>' + role + '\\n' + m['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}"
)
CHATML_TEMPLATE = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

_SMALL = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "max_position_embeddings": 4096}


@dataclass(frozen=True)
class Family:
    """One registry alias as a tiny model: architecture, config, tokenizer specials and template.

    Attributes:
        alias: the registry alias (the folder name, so ``--model`` resolves to the registry entry).
        architecture: the transformers ``*ForCausalLM`` class name.
        config: tiny config keyword arguments for that class's config.
        bos, eos, pad: the family's special tokens (``bos=None``: the tokenizer adds none).
        chat_template: the family's chat format, ``None`` for a base model without one.
        extra_specials: other special tokens the template uses.
        system_role: whether the template accepts a system message.
    """

    alias: str
    architecture: str
    config: dict[str, Any]
    bos: str | None
    eos: str
    pad: str
    chat_template: str | None
    extra_specials: tuple[str, ...] = ()
    system_role: bool = True
    token_architecture: str | None = field(default=None)

    @property
    def specials(self) -> list[str]:
        return list(dict.fromkeys(t for t in (self.pad, self.bos, self.eos, *self.extra_specials) if t))


FAMILIES: dict[str, Family] = {f.alias: f for f in (
    Family("llama2-7b", "LlamaForCausalLM", {**_SMALL, "num_attention_heads": 2, "num_key_value_heads": 2,
                                             "head_dim": 32, "tie_word_embeddings": False},
           "<s>", "</s>", "<unk>", LLAMA2_TEMPLATE, token_architecture="LlamaForTokenClassification"),
    Family("llama3-8b", "LlamaForCausalLM", {**_SMALL, "num_attention_heads": 4, "num_key_value_heads": 2,
                                             "head_dim": 16 * 2, "hidden_size": 128, "rope_theta": 500000.0,
                                             "tie_word_embeddings": False},
           "<|begin_of_text|>", "<|eot_id|>", "<|end_of_text|>", LLAMA3_TEMPLATE,
           ("<|start_header_id|>", "<|end_header_id|>"), token_architecture="LlamaForTokenClassification"),
    Family("llama3.2-1b", "LlamaForCausalLM", {**_SMALL, "num_attention_heads": 4, "num_key_value_heads": 2,
                                               "head_dim": 32, "hidden_size": 128, "tie_word_embeddings": True,
                                               "rope_scaling": {"rope_type": "llama3", "factor": 32.0,
                                                                "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                                                "original_max_position_embeddings": 8192},
                                               "rope_theta": 500000.0, "max_position_embeddings": 131072},
           "<|begin_of_text|>", "<|eot_id|>", "<|end_of_text|>", LLAMA3_TEMPLATE,
           ("<|start_header_id|>", "<|end_header_id|>"), token_architecture="LlamaForTokenClassification"),
    Family("mistral-7b", "MistralForCausalLM", {**_SMALL, "num_attention_heads": 4, "num_key_value_heads": 1,
                                                "head_dim": 32, "hidden_size": 128, "sliding_window": 4096,
                                                "tie_word_embeddings": False},
           "<s>", "</s>", "<unk>", MISTRAL_TEMPLATE, system_role=False,
           token_architecture="MistralForTokenClassification"),
    Family("mixtral", "MixtralForCausalLM", {**_SMALL, "num_attention_heads": 2, "num_key_value_heads": 1,
                                            "head_dim": 32, "num_local_experts": 4, "num_experts_per_tok": 2,
                                            "sliding_window": None, "tie_word_embeddings": False},
           "<s>", "</s>", "<unk>", MISTRAL_TEMPLATE, system_role=False,
           token_architecture="MixtralForTokenClassification"),
    Family("gemma-7b", "GemmaForCausalLM", {**_SMALL, "num_attention_heads": 2, "num_key_value_heads": 2,
                                           "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh",
                                           "tie_word_embeddings": True},
           "<bos>", "<eos>", "<pad>", GEMMA_TEMPLATE, ("<start_of_turn>", "<end_of_turn>"), system_role=False,
           token_architecture="GemmaForTokenClassification"),
    Family("phi-1.5", "PhiForCausalLM", {**_SMALL, "hidden_size": 128, "intermediate_size": 256,
                                         "num_attention_heads": 2, "partial_rotary_factor": 0.5,
                                         "tie_word_embeddings": False},
           None, "<|endoftext|>", "<|endoftext|>", None, token_architecture="PhiForTokenClassification"),
    Family("default", "Qwen2ForCausalLM", {**_SMALL, "num_attention_heads": 2, "num_key_value_heads": 1,
                                           "tie_word_embeddings": True},
           None, "<|im_end|>", "<|endoftext|>", CHATML_TEMPLATE, ("<|im_start|>",),
           token_architecture="Qwen2ForTokenClassification"),
)}
"""Registry alias -> tiny family. ``default`` is the embedded Qwen2 architecture."""


def corpus() -> list[str]:
    """Text the tokenizers are trained on: the schemas' instructions, examples and JSON answers."""
    from extractor.prompts import PromptBuilder, answer_json, instruction_text
    from schemas import load_schema

    texts: list[str] = []
    for name in ("kind", "italian_email"):
        schema = load_schema(name)
        texts += [instruction_text(schema), PromptBuilder(schema, 2, "alpaca").render("x")]
        texts += [ex.text for ex in schema.examples] + [answer_json(ex.entities) for ex in schema.examples]
    return texts * 4


def build_tokenizer(family: Family, folder: Path, texts: list[str], vocab_size: int = 1500) -> Any:
    """A byte-level BPE tokenizer with the family's specials, BOS rule and chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=family.specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    if family.bos:  # the family's tokenizer puts BOS in front of every encoded text
        bos_id = tok.token_to_id(family.bos)
        tok.post_processor = processors.TemplateProcessing(
            single=f"{family.bos} $A", pair=f"{family.bos} $A {family.bos} $B", special_tokens=[(family.bos, bos_id)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=family.bos, eos_token=family.eos,
                                   pad_token=family.pad, unk_token=None,
                                   additional_special_tokens=list(family.extra_specials) or None)
    if family.chat_template:
        fast.chat_template = family.chat_template
    fast.save_pretrained(str(folder))
    return fast


def build_family(family: Family, folder: Path, texts: list[str] | None = None, seed: int = 0) -> Path:
    """Write ``family``'s tiny random model and tokenizer into ``folder``."""
    import torch
    import transformers

    folder.mkdir(parents=True, exist_ok=True)
    tok = build_tokenizer(family, folder, texts if texts is not None else corpus())
    model_cls = getattr(transformers, family.architecture)
    config = model_cls.config_class(
        vocab_size=len(tok), bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id, **family.config)
    torch.manual_seed(seed)
    model = model_cls(config)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.save_pretrained(str(folder), safe_serialization=True)
    (folder / "tiny_family.json").write_text(json.dumps({"alias": family.alias, "architecture": family.architecture})
                                            + "\n")
    return folder


def build_all(root: Path, aliases: list[str] | None = None) -> dict[str, Path]:
    """Every family (or ``aliases``) under ``root/<alias>``; a folder already built is kept."""
    texts = corpus()
    out = {}
    for alias in aliases or list(FAMILIES):
        folder = root / alias
        if not (folder / "tiny_family.json").is_file():
            build_family(FAMILIES[alias], folder, texts)
        out[alias] = folder
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--aliases", default=",".join(FAMILIES))
    args = ap.parse_args()
    for alias, folder in build_all(args.out, args.aliases.split(",")).items():
        print(f"{alias}: {folder}")


if __name__ == "__main__":
    import _bootstrap  # noqa: F401

    main()
