"""How fast the bidirectional sequence head learns under each pooling and head learning rate.

A bare training loop (no Trainer: same texts in the same order for every setting): the embedded
model as ``Qwen2ForSequenceClassification`` with ``is_causal=False``, LoRA r16 on every
projection, the zero-started float32 head, AdamW with 5 warm-up steps and linear decay; dev
accuracy on a fixed stratified 100 of the dev split every 20 steps. One setting per process, one
process at a time (the 2-core box):

    for cfg in "mean 2e-4 2e-4" "last 2e-4 2e-4" "mean 2e-4 2e-5"; do
      HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/sequence_pooling.py $cfg --steps 40 --data imdb; done
"""

from __future__ import annotations

import argparse
import random
import time

import _bootstrap  # noqa: F401  (the repository root on sys.path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pooling", choices=["mean", "last"])
    parser.add_argument("lr", type=float, help="LoRA learning rate")
    parser.add_argument("head_lr", type=float, help="class head learning rate")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--data", default="imdb", help="imdb, sentipolc or spamassassin")
    parser.add_argument("--max-len", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--model", default="default")
    args = parser.parse_args()

    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoTokenizer

    from extractor.models import resolve_model
    from extractor.sequence.classifier import encode_for_head, pooled_logits
    from extractor.sequence.merge import AUTO_CLASS
    from extractor.settings import load_settings
    from extractor.tokens.backends import load_bidirectional
    from training.classify_data import load_class_splits, stratified
    from training.head_training import float32_head
    from training.sequence_trainer import zero_head

    torch.manual_seed(0)
    random.seed(0)
    resolved = resolve_model(args.model, load_settings())
    splits = load_class_splits(args.data)
    train, dev = list(splits["train"]), stratified(splits["dev"], 100)
    random.shuffle(train)
    labels = sorted({e.label for e in train})
    label_ids = {label: i for i, label in enumerate(labels)}
    tokenizer = AutoTokenizer.from_pretrained(resolved.path)
    pad = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id)
    model = load_bidirectional(resolved.path, AUTO_CLASS, "bfloat16", new_head=True, num_labels=len(labels),
                               id2label=dict(enumerate(labels)), label2id=label_ids, pad_token_id=pad)
    zero_head(model)
    model = get_peft_model(model, LoraConfig(task_type="SEQ_CLS", r=16, lora_alpha=32, lora_dropout=0.05,
                                             bias="none", target_modules=list(resolved.lora_targets)))
    float32_head(model)
    head = [p for n, p in model.named_parameters() if p.requires_grad and "modules_to_save" in n]
    rest = [p for n, p in model.named_parameters() if p.requires_grad and "modules_to_save" not in n]
    opt = torch.optim.AdamW([{"params": rest, "lr": args.lr}, {"params": head, "lr": args.head_lr}], weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 5) * max(0.0, 1 - s / args.steps))

    def batch(examples):
        ids = [encode_for_head(tokenizer, e.text, args.max_len, pad) for e in examples]
        width = max(map(len, ids))
        x = torch.full((len(ids), width), pad)
        mask = torch.zeros((len(ids), width), dtype=torch.long)
        for i, row in enumerate(ids):
            x[i, :len(row)], mask[i, :len(row)] = torch.tensor(row), 1
        return x, mask

    def dev_accuracy() -> float:
        model.eval()
        right = 0
        with torch.no_grad():
            for i in range(0, len(dev), 16):
                part = dev[i:i + 16]
                pred = pooled_logits(model, *batch(part), args.pooling).argmax(-1)
                right += sum(int(p) == label_ids[e.label] for p, e in zip(pred, part))
        model.train()
        return right / len(dev)

    start, losses = time.time(), []
    model.train()
    for step in range(args.steps):
        part = train[step * args.batch_size:(step + 1) * args.batch_size]
        y = torch.tensor([label_ids[e.label] for e in part])
        loss = torch.nn.functional.cross_entropy(pooled_logits(model, *batch(part), args.pooling).float(), y)
        loss.backward()
        opt.step()
        sched.step()
        opt.zero_grad()
        losses.append(loss.item())
        if (step + 1) % 5 == 0:
            print(f"step {step + 1} loss {sum(losses[-5:]) / 5:.3f} {time.time() - start:.0f}s", flush=True)
        if (step + 1) % 20 == 0 or step + 1 == args.steps:
            print(f"step {step + 1} dev_acc {dev_accuracy():.3f} {time.time() - start:.0f}s", flush=True)


if __name__ == "__main__":
    main()
