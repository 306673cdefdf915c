#!/usr/bin/env python3
"""make_reference.py: runs HF transformers on a model and writes the reference file kvlm compares to.

Not kvlm: this is the ground truth side. It loads an HF folder, or a GGUF through transformers'
own GGUF loader (which dequantizes every tensor to float), runs it in float64 and float32 with
eager attention, and writes for each prompt p{i} (layout of ../shared/models/README.md):

  p{i}.input_ids        int64 [T]          the prompt
  p{i}.logits           f32 [T, V]         float64 run        } when V <= --full-vocab-max;
  p{i}.logits_fp32      f32 [T, V]         float32 run        } otherwise, instead:
  p{i}.logits_topk_values / _ids            f32 / int64 [T, K] top K of the float64 logits
  p{i}.logits_fp32_topk_values / _ids       the same for the float32 run
  p{i}.argmax           int64 [T]          argmax of the float64 logits at each position
  p{i}.hidden{l}        f32 [T, D]         HF output_hidden_states (0 = embeddings, last = after the final norm)
  p{i}.layer{l}.k, .v   f32 [KV, T, hd]    the KV cache after the prompt (keys after RoPE, HF half-split)
  p{i}.greedy           int64 [N]          greedy continuation, float64 run with HF's cache
  p{i}.greedy_margin    f32 [N]            top-1 minus top-2 logit at each greedy step
and OUT.json with the prompts, the greedy paths and HF's float32 paths with and without its cache.

Usage:
  make_reference.py MODEL OUT.safetensors [--prompts TEXT ...] [--greedy N] [--topk K]
  MODEL: an HF folder, or a .gguf file.  A prompt starting with "chat:" is wrapped in the
  tokenizer's chat template (with the generation prompt); others are encoded with add_special_tokens.
  Loading a GGUF needs the `gguf` and `accelerate` packages besides transformers and torch.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
from pathlib import Path

import safetensors.torch
import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

DEFAULT_PROMPTS = [
    "Once upon a time",
    "chat:What is a KV cache in a transformer? Answer in two sentences.",
    "def fibonacci(n):\n",
]


def source_kwargs(model: Path) -> tuple[Path, dict]:
    """from_pretrained arguments: a folder, or a GGUF file's folder plus gguf_file=."""
    if model.suffix == ".gguf":
        return model.parent, {"gguf_file": model.name}
    return model, {}


def load(model: Path) -> tuple[torch.nn.Module, torch.nn.Module, object]:
    where, kw = source_kwargs(model)
    fp32 = AutoModelForCausalLM.from_pretrained(where, dtype=torch.float32, attn_implementation="eager", **kw)
    fp32.eval()
    fp64 = copy.deepcopy(fp32).to(torch.float64)  # same (dequantized) weights, widened exactly
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, **kw)
    except Exception as e:  # a model without a tokenizer can still be run from ids
        print(f"note: no tokenizer ({type(e).__name__}: {e}); prompts must be given as ids")
        tokenizer = None
    return fp64, fp32, tokenizer


def encode(tokenizer, prompt: str) -> list[int]:
    if prompt.startswith("ids:"):
        return [int(x) for x in prompt[4:].split(",")]
    if tokenizer is None:
        raise SystemExit("this model has no tokenizer: give prompts as ids:1,2,3")
    if prompt.startswith("chat:"):
        out = tokenizer.apply_chat_template([{"role": "user", "content": prompt[5:]}],
                                            add_generation_prompt=True, tokenize=True)
        return list(out["input_ids"] if isinstance(out, dict) or hasattr(out, "keys") else out)
    return tokenizer(prompt, add_special_tokens=True)["input_ids"]


def cache_layers(cache) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(k, v) per layer, each [batch, KV, T, hd], from a DynamicCache of transformers 4.x or 5.x."""
    if hasattr(cache, "layers"):
        return [(layer.keys, layer.values) for layer in cache.layers]
    return list(zip(cache.key_cache, cache.value_cache))


@torch.no_grad()
def greedy(model, ids: list[int], steps: int, use_cache: bool) -> tuple[list[int], list[float]]:
    """Greedy continuation; with use_cache=False every step recomputes the whole sequence."""
    seq, path, margins, cache = list(ids), [], [], None
    for _ in range(steps):
        if use_cache:
            feed = torch.tensor([seq if cache is None else seq[-1:]])
            out = model(feed, past_key_values=cache, use_cache=True)
            cache = out.past_key_values
        else:
            out = model(torch.tensor([seq]), use_cache=False)
        last = out.logits[0, -1]
        top2 = torch.topk(last, 2)
        path.append(int(top2.indices[0]))
        margins.append(float(top2.values[0] - top2.values[1]))
        seq.append(path[-1])
    return path, margins


def topk(logits: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    values, ids = torch.topk(logits, k, dim=-1)  # sorted, largest first
    return values.float().contiguous(), ids.to(torch.int64).contiguous()


@torch.no_grad()
def reference_for_prompt(i: int, ids: list[int], fp64, fp32, args) -> tuple[dict, dict]:
    x = torch.tensor([ids])
    out64 = fp64(x, output_hidden_states=True, use_cache=True)
    out32 = fp32(x, use_cache=False)
    logits64, logits32 = out64.logits[0], out32.logits[0]
    p, t = f"p{i}.", {}
    t[p + "input_ids"] = torch.tensor(ids, dtype=torch.int64)
    if logits64.shape[-1] <= args.full_vocab_max:
        t[p + "logits"] = logits64.float().contiguous()
        t[p + "logits_fp32"] = logits32.float().contiguous()
    else:
        t[p + "logits_topk_values"], t[p + "logits_topk_ids"] = topk(logits64, args.topk)
        t[p + "logits_fp32_topk_values"], t[p + "logits_fp32_topk_ids"] = topk(logits32, args.topk)
    t[p + "argmax"] = logits64.argmax(-1).to(torch.int64).contiguous()
    for l, h in enumerate(out64.hidden_states):
        t[p + f"hidden{l}"] = h[0].float().contiguous()
    if not args.no_kv:
        for l, (k, v) in enumerate(cache_layers(out64.past_key_values)):
            t[p + f"layer{l}.k"] = k[0].float().contiguous()
            t[p + f"layer{l}.v"] = v[0].float().contiguous()
    path, margins = greedy(fp64, ids, args.greedy, use_cache=True)
    t[p + "greedy"] = torch.tensor(path, dtype=torch.int64)
    t[p + "greedy_margin"] = torch.tensor(margins, dtype=torch.float32)
    summary = {"input_ids": ids, "greedy": path, "greedy_margin_min": min(margins),
               "greedy_fp32_cached": greedy(fp32, ids, args.greedy, use_cache=True)[0]}
    if not args.no_naive:
        summary["greedy_fp32_naive"] = greedy(fp32, ids, args.greedy, use_cache=False)[0]
    return t, summary


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description="HF transformers reference logits, hidden states and greedy paths.")
    ap.add_argument("model", type=Path, help="HF folder or .gguf file")
    ap.add_argument("out", type=Path, help="OUT.safetensors (OUT.json is written beside it)")
    ap.add_argument("--prompts", nargs="+", default=DEFAULT_PROMPTS,
                    help='texts; "chat:TEXT" uses the chat template, "ids:1,2,3" gives ids directly')
    ap.add_argument("--greedy", type=int, default=64, help="greedy steps per prompt")
    ap.add_argument("--topk", type=int, default=64, help="logits kept per position for a large vocabulary")
    ap.add_argument("--full-vocab-max", type=int, default=4096, help="store full logits up to this vocab size")
    ap.add_argument("--no-kv", action="store_true", help="do not store the KV cache tensors")
    ap.add_argument("--no-naive", action="store_true", help="skip HF's no-cache fp32 greedy check (slow)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    fp64, fp32, tokenizer = load(args.model)
    tensors, summaries = {}, []
    for i, prompt in enumerate(args.prompts):
        ids = encode(tokenizer, prompt)
        t, s = reference_for_prompt(i, ids, fp64, fp32, args)
        tensors.update(t)
        s["prompt"] = prompt
        if tokenizer is not None:
            s["greedy_text"] = tokenizer.decode(s["greedy"])
        summaries.append(s)
        agree = s["greedy"] == s["greedy_fp32_cached"] and s.get("greedy_fp32_naive", s["greedy"]) == s["greedy"]
        print(f"p{i}: {len(ids)} prompt tokens, greedy {len(s['greedy'])}, min margin "
              f"{s['greedy_margin_min']:.4g}, fp32 paths agree with float64: {agree}")

    model_file = args.model if args.model.is_file() else args.model / "model.safetensors"
    meta = {
        "model": args.model.name,
        "model_sha256": sha256(model_file) if model_file.is_file() else "",
        "prompts": json.dumps(args.prompts),
        "greedy_steps": str(args.greedy),
        "logits": "full" if fp32.config.vocab_size <= args.full_vocab_max else f"top{args.topk}",
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "run": "float64 (logits, hidden, kv, greedy) and float32 (logits_fp32), eager attention, CPU",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    safetensors.torch.save_file(tensors, str(args.out), metadata=meta)
    with open(args.out.with_suffix(".json"), "w") as f:
        json.dump({**meta, "prompts": args.prompts, "cases": summaries}, f, indent=1)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB) and {args.out.with_suffix('.json').name}")


if __name__ == "__main__":
    main()
