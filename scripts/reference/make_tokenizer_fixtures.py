#!/usr/bin/env python3
"""Makes the tokenizer fixtures in data/tokenizers/ (tests that need no ../shared).

What it is: a small training text, four tiny tokenizers and their goldens made by the references:
  tiny_bpe/          trained by *our* trainer (kvlm train-tokenizer), goldens by HF `tokenizers`
                     (so this also checks that HF loads our tokenizer.json)
  tiny_llama3_style/ HF-trained: Llama 3's Split regex + ByteLevel, ignore_merges, BOS template
  tiny_llama2_style/ HF-trained: Prepend/Replace "▁" normalizer, byte fallback, Llama 2's decoders
  tiny_sentencepiece/ sentencepiece-trained BPE with byte fallback (tokenizer.model)
What it is not: a model fetcher; nothing is downloaded.

Usage: python3 scripts/reference/make_tokenizer_fixtures.py --kvlm build/tok/kvlm
Needs: pip install tokenizers sentencepiece
"""
import argparse
import json
import pathlib
import subprocess

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
import sentencepiece as spm

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "data" / "tokenizers"

# Training text: a few kinds of text, repeated with numbered variations so that counts differ.
PARAGRAPHS = [
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the sun.",
    "The KV cache stores the keys and values of every past token, so each new token costs the same.",
    "def forward(ids, start_pos, cache):\n    x = embed(ids)\n    for layer in layers:\n        x = layer(x, start_pos, cache)\n    return norm(x)\n",
    "Attention is all you need: queries, keys and values; softmax(QK^T / sqrt(d)) V.",
    "Tokenizers cut text into pieces: \"unhappiness\" -> un + happiness, 12345 -> 1 2 3 4 5.",
    "Café, naïve, résumé, Straße; Привет, мир; 你好，世界; こんにちは.",
    "She said: \"I'll go, we've seen it, they're here, don't wait!\"  Two  spaces,   three.",
    "<html><body><p>Hello, world!</p></body></html>\n\tTabs\tand\r\nnewlines.",
]

# Goldens: the same spirit as ../shared/tokenizers (spaces, unicode, code, specials in text).
CASES = [
    "", " ", "  ", "Hello", "Hello world", " Hello world", "Hello  world", "Hello\nworld",
    "Hello\n\nworld\n", "\tindented\ttabs", "The capital of France is", "unhappiness",
    "don't can't won't I'll we've they're", "DON'T SHOUT", "12345", "3.14159 and 2,718",
    "café naïve résumé", "Straße", "你好，世界", "Привет, мир", "🦙🚀 emoji test 👍🏽",
    "x = [i**2 for i in range(10)]", "def f(a, b):\n    return a + b\n", "a  b   c    d",
    "trailing space ", "   leading", "line1\r\nline2", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "The KV cache stores keys and values.", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\u200b zero width", "e\u0301 combining accent",
    "text with <|endoftext|> inside", "<s>Hello</s> world",
]


def training_text():
    lines = []
    for i in range(40):
        for j, p in enumerate(PARAGRAPHS):
            if (i + j) % 3 != 0:
                lines.append(f"{p} ({i}.{j})")
    return "\n".join(lines) + "\n"


def hf_golden(tok: Tokenizer, name: str, path: pathlib.Path):
    cases = []
    for text in CASES:
        enc = tok.encode(text, add_special_tokens=False)
        cases.append({"text": text, "ids": enc.ids,
                      "ids_with_special": tok.encode(text, add_special_tokens=True).ids,
                      "tokens": enc.tokens, "decoded": tok.decode(enc.ids, skip_special_tokens=False)})
    write_json(path, {"tokenizer": name, "vocab_size": tok.get_vocab_size(), "cases": cases})


def write_json(path: pathlib.Path, obj):
    """One case per line: small, and still readable in a diff."""
    path.parent.mkdir(parents=True, exist_ok=True)
    head = {k: v for k, v in obj.items() if k != "cases"}
    lines = [json.dumps(c, ensure_ascii=False) for c in obj["cases"]]
    text = json.dumps(head, ensure_ascii=False)[:-1] + ', "cases": [\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def make_tiny_bpe(kvlm: str, train_file: pathlib.Path):
    out = OUT / "tiny_bpe" / "tokenizer.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([kvlm, "train-tokenizer", "--input", str(train_file), "--merges", "300", "--out", str(out)], check=True)
    hf_golden(Tokenizer.from_file(str(out)), "tiny_bpe", out.parent / "golden.json")


def make_tiny_llama3_style(text: str):
    tok = Tokenizer(models.BPE(ignore_merges=True))
    split = pre_tokenizers.Split(Regex(
        r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"),
        behavior="isolated", invert=False)
    tok.pre_tokenizer = pre_tokenizers.Sequence([split, pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["<|begin_of_text|>", "<|end_of_text|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator([text], trainer)
    tok.post_processor = processors.TemplateProcessing(single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", 0)])
    path = OUT / "tiny_llama3_style" / "tokenizer.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(path), pretty=False)
    hf_golden(Tokenizer.from_file(str(path)), "tiny_llama3_style", path.parent / "golden.json")


def make_tiny_llama2_style(text: str):
    specials = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(content=" ", left=1)])
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=specials, show_progress=False)
    tok.train_from_iterator([text], trainer)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    path = OUT / "tiny_llama2_style" / "tokenizer.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(path), pretty=False)
    hf_golden(Tokenizer.from_file(str(path)), "tiny_llama2_style", path.parent / "golden.json")


def make_tiny_sentencepiece(train_file: pathlib.Path):
    folder = OUT / "tiny_sentencepiece"
    folder.mkdir(parents=True, exist_ok=True)
    spm.SentencePieceTrainer.train(
        input=str(train_file), model_prefix=str(folder / "tokenizer"), model_type="bpe", vocab_size=600,
        byte_fallback=True, character_coverage=0.9995, add_dummy_prefix=True, remove_extra_whitespaces=False,
        normalization_rule_name="identity", num_threads=1, minloglevel=2)
    (folder / "tokenizer.vocab").unlink()
    sp = spm.SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))
    cases = [{"text": t, "ids": sp.encode(t), "decoded": sp.decode(sp.encode(t))} for t in CASES]
    write_json(folder / "golden.json", {"tokenizer": "tiny_sentencepiece", "vocab_size": sp.get_piece_size(), "cases": cases})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kvlm", default=str(ROOT / "build" / "release" / "kvlm"), help="the kvlm binary")
    args = parser.parse_args()
    text = training_text()
    train_file = OUT / "train.txt"
    train_file.parent.mkdir(parents=True, exist_ok=True)
    train_file.write_text(text, encoding="utf-8")
    make_tiny_bpe(args.kvlm, train_file)
    make_tiny_llama3_style(text)
    make_tiny_llama2_style(text)
    make_tiny_sentencepiece(train_file)
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {OUT} ({total / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
