"""Build a tiny Llama (random init, briefly trained) with its own tokenizer, for engine tests.

No hub: the byte-level BPE tokenizer is trained here on synthetic Italian mail, and the model
is taught for a few hundred steps to answer prompts from our prompt builder with short JSON,
so constrained outputs terminate. Its entity quality is meaningless by design.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

_FIRST = ["Mario", "Giulia", "Luca", "Francesca", "Paolo", "Chiara", "Andrea", "Elena", "Marco", "Sara"]
_LAST = ["Rossi", "Bianchi", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo"]
_ORG = ["Banca Sella", "Edilnord S.r.l.", "Comune di Torino", "Università di Bologna", "Poste Italiane", "Enel"]
_LOC = ["Milano", "Roma", "Napoli", "Torino", "Firenze", "Bari", "via Roma 12", "Palermo"]
_DATE = ["3 marzo", "12/05/2024", "lunedì", "14 aprile 2023", "domani"]
_TEMPLATES = [
    "Buongiorno {PER}, ci vediamo a {LOC} il {DATE}.",
    "Gentile {PER},\nla riunione con {ORG} si terrà a {LOC}.\nSaluti",
    "Il pagamento a {ORG} è previsto per il {DATE}. Cordiali saluti, {PER}",
    "Ciao {PER}! Ho parlato con {PER2} di {ORG} ieri a {LOC}.",
    "Spett.le {ORG}, in allegato la fattura del {DATE}.",
]


def synthetic_examples(n: int, seed: int = 0) -> list[tuple[str, list[tuple[str, str]]]]:
    """``n`` short Italian messages with their (surface, label) entities, deterministic."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        values = {
            "PER": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
            "PER2": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
            "ORG": rng.choice(_ORG),
            "LOC": rng.choice(_LOC),
            "DATE": rng.choice(_DATE),
        }
        tpl = rng.choice(_TEMPLATES)
        text = tpl.format(**values)
        ents = []
        for key in ("PER", "PER2", "ORG", "LOC", "DATE"):
            if "{" + key + "}" in tpl:
                ents.append((text.index(values[key]), values[key], key.rstrip("2")))
        ents.sort()
        out.append((text, [(s, lab) for _, s, lab in ents]))
    return out


def build_tokenizer(folder: Path, corpus: list[str], vocab_size: int = 1200) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>", bos_token=None, unk_token=None
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(str(folder))


def build_tiny_model(folder: Path, steps: int = 250, seed: int = 0) -> Path:
    """Write a trained tiny Llama + tokenizer into ``folder`` and return it."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from extractor.prompts import PromptBuilder, answer_json
    from schemas import load_schema

    folder.mkdir(parents=True, exist_ok=True)
    examples = synthetic_examples(400, seed)
    schema = load_schema("italian_email")
    corpus = [t for t, _ in examples] + [json.dumps({"entities": [{"text": "x", "label": lab} for lab in schema.labels]})]
    corpus += [ex.text for ex in schema.examples] + [PromptBuilder(schema, 2, "alpaca").render("x")]
    build_tokenizer(folder, corpus * 3)
    tok = AutoTokenizer.from_pretrained(str(folder))
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=1, head_dim=32, max_position_embeddings=4096, tie_word_embeddings=False,
        bos_token_id=None, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    builder = PromptBuilder(schema, 0, "chat", tok)
    seqs = [tok(builder.render(t) + answer_json(e) + "<|im_end|>", add_special_tokens=False)["input_ids"]
            for t, e in examples]
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    rng = random.Random(seed)
    model.train()
    for _ in range(steps):
        batch = rng.sample(seqs, 8)
        width = max(map(len, batch))
        ids = torch.full((len(batch), width), tok.pad_token_id)
        labels = torch.full((len(batch), width), -100)
        for i, s in enumerate(batch):
            ids[i, : len(s)] = torch.tensor(s)
            labels[i, : len(s)] = torch.tensor(s)
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    model.generation_config.eos_token_id = tok.eos_token_id
    model.save_pretrained(str(folder), safe_serialization=True)
    (folder / "loss.txt").write_text(f"{loss.item():.4f}\n")
    return folder


def build_adapter(base: Path, out: Path, seed: int, rank: int = 8, scale: float = 0.5) -> Path:
    """A peft LoRA adapter with random non-zero weights (so it changes outputs), for serving tests."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(str(base))
    cfg = LoraConfig(r=rank, lora_alpha=rank, target_modules=["q_proj", "v_proj", "o_proj", "down_proj"],
                     init_lora_weights=False)
    peft_model = get_peft_model(model, cfg)
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_" in name:
                p.normal_(0.0, scale)
    peft_model.save_pretrained(str(out))
    return out
