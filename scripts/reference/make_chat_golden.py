#!/usr/bin/env python3
"""Writes data/tokenizers/chat_golden.json: HF's apply_chat_template on real chat templates.

What it is: the reference for kvlm's chat formats (tokenizer/chat_template.cpp), which writes ChatML
and Llama 3 itself instead of running Jinja. Each case is a conversation and the exact text HF's
apply_chat_template(..., add_generation_prompt=True) makes of it with one model's template:
  ../shared/tokenizers/llama3   Llama 3's template
  ../shared/tokenizers/qwen3    Qwen3's (ChatML with tools and thinking)
  models/SmolLM2-...gguf        SmolLM2's (ChatML with a fixed system turn), read from the GGUF
Only the texts are stored; the test reads each template from where it lives and skips when absent.
Run from the repository root:  python3 scripts/reference/make_chat_golden.py [--shared ../shared]
Needs: pip install transformers gguf
"""
import argparse
import glob
import json
from pathlib import Path

import gguf
import transformers

CONVERSATIONS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "user", "content": "  Hi there \n"},
     {"role": "assistant", "content": "Hello! How can I help?"},
     {"role": "user", "content": "Tell me a joke about caches."}],
]


def gguf_template(path: str) -> str:
    field = gguf.GGUFReader(path).fields["tokenizer.chat_template"]
    return bytes(field.parts[field.data[0]]).decode("utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path("../shared"))
    shared = ap.parse_args().shared
    # Any tokenizer renders any template; its bos_token is what Llama 3's template writes first.
    llama3 = transformers.AutoTokenizer.from_pretrained(shared / "tokenizers" / "llama3")
    sources = {
        "shared:tokenizers/llama3": (llama3, None),
        "shared:tokenizers/qwen3": (transformers.AutoTokenizer.from_pretrained(shared / "tokenizers" / "qwen3"), None),
        "models:SmolLM2-135M-Instruct.Q4_1.gguf": (llama3, gguf_template(glob.glob("models/SmolLM2-135M-Instruct*.gguf")[0])),
    }
    out = []
    for source, (tok, template) in sources.items():
        for messages in CONVERSATIONS:
            text = tok.apply_chat_template(messages, chat_template=template, tokenize=False, add_generation_prompt=True)
            out.append({"source": source, "messages": messages, "text": text})
    path = Path("data/tokenizers/chat_golden.json")
    path.write_text(json.dumps({"made_by": "scripts/reference/make_chat_golden.py",
                                "transformers": transformers.__version__, "cases": out}, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {path}: {len(out)} cases")


if __name__ == "__main__":
    main()
