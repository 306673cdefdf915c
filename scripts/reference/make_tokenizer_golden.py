#!/usr/bin/env python3
"""make_tokenizer_golden.py: HF's encodings of the project's golden strings with one model's tokenizer.

Not a tokenizer test by itself: it writes the expected side (same schema as
../shared/tokenizers/*/golden.json) for kvlm's tokenizer tests. MODEL is an HF folder or a .gguf
file (transformers converts tokenizer.ggml.* into a fast tokenizer). Usage:

  make_tokenizer_golden.py MODEL OUT.json [--texts-from GOLDEN.json]

The golden strings are read from an existing golden file (default: ../shared/tokenizers/gpt2/golden.json)
and a few chat-template strings are added; the texts are copied into OUT.json, so it stands alone.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import tokenizers
import transformers
from transformers import AutoTokenizer

EXTRA_TEXTS = [
    "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n",
    "Numbers: 1234567890 and 3.14159",
    "  leading spaces, trailing spaces  ",
]


def main() -> None:
    root = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--texts-from", type=Path, default=root.parent / "shared/tokenizers/gpt2/golden.json")
    args = ap.parse_args()

    where, kw = (args.model.parent, {"gguf_file": args.model.name}) if args.model.suffix == ".gguf" else (args.model, {})
    tok = AutoTokenizer.from_pretrained(where, **kw)
    texts = [c["text"] for c in json.loads(args.texts_from.read_text())["cases"]]
    texts += [t for t in EXTRA_TEXTS if t not in texts]
    cases = []
    for text in texts:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        cases.append({
            "text": text,
            "ids": ids,
            "ids_with_special": tok(text, add_special_tokens=True)["input_ids"],
            "tokens": tok.convert_ids_to_tokens(ids),
            "decoded": tok.decode(ids),
        })
    golden = {
        "tokenizer": args.model.name,
        "vocab_size": len(tok),
        "made_by": f"transformers {transformers.__version__}, tokenizers {tokenizers.__version__}, "
                   f"AutoTokenizer.from_pretrained({'gguf_file=' + args.model.name if kw else args.model.name})",
        "cases": cases,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(golden, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {args.out}: {len(cases)} cases, vocab {len(tok)}")


if __name__ == "__main__":
    main()
