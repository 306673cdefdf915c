#!/usr/bin/env python3
"""Writes the small hand-made seeds in tests/fuzz/corpus/<harness>/ (all together well under 50 KB).

Not the fixtures: data/ already has real files (scripts/fuzz.sh uses them too, see seeds.txt), but
they are 20-300 KB, mostly tensor bytes that a mutation changes without reaching new code. These
seeds are the same formats cut to the bone (hidden size 8, one layer, 16 tokens), so most mutations
land in headers, metadata and vocabularies. Deterministic; run from the repository root:

    python3 tests/fuzz/make_seeds.py
"""
from __future__ import annotations

import json
import struct
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus"

# --- GGUF (version 3): header, typed key/values, tensor infos, 32-byte aligned data -------------
U32, I32, F32, BOOL, STR, ARR = 4, 5, 6, 7, 8, 9
T_F32, T_F16 = 0, 1


def gstr(s: str) -> bytes:
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gvalue(t: int, v) -> bytes:
    if t == U32:
        return struct.pack("<I", v)
    if t == I32:
        return struct.pack("<i", v)
    if t == F32:
        return struct.pack("<f", v)
    if t == BOOL:
        return struct.pack("<B", int(v))
    if t == STR:
        return gstr(v)
    elem_t, items = v
    return struct.pack("<IQ", elem_t, len(items)) + b"".join(gvalue(elem_t, x) for x in items)


def gguf(kvs: list[tuple[str, int, object]], tensors: list[tuple[str, list[int], int]]) -> bytes:
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    for key, t, v in kvs:
        out += gstr(key) + struct.pack("<I", t) + gvalue(t, v)
    data, offset = b"", 0
    for name, ne, ttype in tensors:
        n = 1
        for d in ne:
            n *= d
        blob = (struct.pack(f"<{n}f", *[0.01 * (i % 7) for i in range(n)]) if ttype == T_F32
                else struct.pack(f"<{n}e", *[0.01 * (i % 7) for i in range(n)]))
        out += gstr(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", d) for d in ne)
        out += struct.pack("<IQ", ttype, offset)
        data += blob + b"\0" * (-len(blob) % 32)
        offset = len(data)
    out += b"\0" * (-len(out) % 32)
    return out + data


def tiny_llama_gguf() -> bytes:
    D, F, H, KV, V = 8, 16, 2, 1, 16
    tokens = ["<unk>", "<s>", "</s>", "<0x0A>", "<0x41>", "\u2581", "\u2581a", "a", "b", "ab",
              "\u2581ab", "h", "e", "l", "o", "\u2581h"]
    types = [2, 3, 3, 6, 6] + [1] * (V - 5)
    kvs = [("general.architecture", STR, "llama"), ("general.name", STR, "fuzz seed"),
           ("llama.context_length", U32, 16), ("llama.embedding_length", U32, D),
           ("llama.feed_forward_length", U32, F), ("llama.block_count", U32, 1),
           ("llama.attention.head_count", U32, H), ("llama.attention.head_count_kv", U32, KV),
           ("llama.attention.layer_norm_rms_epsilon", F32, 1e-5), ("llama.rope.freq_base", F32, 10000.0),
           ("llama.rope.dimension_count", U32, D // H), ("llama.vocab_size", U32, V),
           ("tokenizer.ggml.model", STR, "llama"), ("tokenizer.ggml.tokens", ARR, (STR, tokens)),
           ("tokenizer.ggml.scores", ARR, (F32, [-float(i) for i in range(V)])),
           ("tokenizer.ggml.token_type", ARR, (I32, types)),
           ("tokenizer.ggml.bos_token_id", U32, 1), ("tokenizer.ggml.eos_token_id", U32, 2),
           ("tokenizer.ggml.unknown_token_id", U32, 0), ("tokenizer.ggml.add_bos_token", BOOL, True),
           ("tokenizer.chat_template", STR, "{% for m in messages %}{{ m['content'] }}{% endfor %}")]
    kvd = KV * D // H
    tensors = [("token_embd.weight", [D, V], T_F32), ("blk.0.attn_norm.weight", [D], T_F32),
               ("blk.0.attn_q.weight", [D, D], T_F16), ("blk.0.attn_k.weight", [D, kvd], T_F32),
               ("blk.0.attn_v.weight", [D, kvd], T_F32), ("blk.0.attn_output.weight", [D, D], T_F32),
               ("blk.0.ffn_norm.weight", [D], T_F32), ("blk.0.ffn_gate.weight", [D, F], T_F16),
               ("blk.0.ffn_up.weight", [D, F], T_F16), ("blk.0.ffn_down.weight", [F, D], T_F16),
               ("output_norm.weight", [D], T_F32)]
    return gguf(kvs, tensors)


def tiny_gpt2_gguf() -> bytes:
    D, F, V, C = 8, 32, 16, 8
    tokens = ["<|endoftext|>", "a", "b", "c", "h", "e", "l", "o", "\u0120", "\u0120h", "he", "ll",
              "llo", "\u0120a", "ab", "\u010a"]
    kvs = [("general.architecture", STR, "gpt2"), ("gpt2.context_length", U32, C),
           ("gpt2.embedding_length", U32, D), ("gpt2.feed_forward_length", U32, F),
           ("gpt2.block_count", U32, 1), ("gpt2.attention.head_count", U32, 2),
           ("gpt2.attention.layer_norm_epsilon", F32, 1e-5),
           ("tokenizer.ggml.model", STR, "gpt2"), ("tokenizer.ggml.pre", STR, "gpt-2"),
           ("tokenizer.ggml.tokens", ARR, (STR, tokens)),
           ("tokenizer.ggml.token_type", ARR, (I32, [3] + [1] * (V - 1))),
           ("tokenizer.ggml.merges", ARR, (STR, ["\u0120 h", "h e", "l l", "ll o", "\u0120 a", "a b"])),
           ("tokenizer.ggml.bos_token_id", U32, 0), ("tokenizer.ggml.eos_token_id", U32, 0),
           ("tokenizer.ggml.add_bos_token", BOOL, False)]
    tensors = [("token_embd.weight", [D, V], T_F16), ("position_embd.weight", [D, C], T_F16)]
    for gg, ne in [("attn_norm", [D]), ("attn_qkv", [D, 3 * D]), ("attn_output", [D, D]),
                   ("ffn_norm", [D]), ("ffn_up", [D, F]), ("ffn_down", [F, D])]:
        tensors += [(f"blk.0.{gg}.weight", ne, T_F16 if len(ne) == 2 else T_F32),
                    (f"blk.0.{gg}.bias", [ne[-1]], T_F32)]
    tensors += [("output_norm.weight", [D], T_F32), ("output_norm.bias", [D], T_F32),
                ("output.weight", [D, V], T_F16)]
    return gguf(kvs, tensors)


# --- safetensors: u64 header length, JSON header, raw little-endian bytes -----------------------
def safetensors(items: list[tuple[str, str, list[int], bytes]], metadata: dict | None = None) -> bytes:
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, blob in items:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def tiny_safetensors() -> bytes:
    return safetensors([("a", "F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)),
                        ("b", "F16", [3], struct.pack("<3e", 1, -2, 0.5)),
                        ("c", "BF16", [1, 2], b"\x80\x3f\x00\x40"),
                        ("ids", "I64", [2], struct.pack("<2q", 7, -1)),
                        ("ids32", "I32", [1, 1], struct.pack("<i", 3)),
                        ("scalar", "F32", [], struct.pack("<f", 5))], {"format": "pt"})


# --- llama2.c: 7 int32 header, fp32 arrays; tokenizer.bin: max_len, (score, len, bytes)* ------
def tiny_llama2c(shared_classifier: bool) -> bytes:
    D, F, L, H, KV, V, S = 8, 16, 1, 2, 1, 4, 4
    hd, kvd = D // H, D * KV // H
    n = V * D + L * (D + D * D + 2 * D * kvd + D * D + D + 3 * F * D) + D + S * hd
    if not shared_classifier:
        n += V * D
    header = struct.pack("<7i", D, F, L, H, KV, V if shared_classifier else -V, S)
    return header + struct.pack(f"<{n}f", *[0.01 * (i % 5) for i in range(n)])


def tiny_llama2c_tokenizer() -> bytes:
    pieces = ["<unk>", "\n<s>\n", "\n</s>\n", "<0x0A>", "<0x41>", " ", "a", "b", " a", "ab", "h", "e",
              "l", "o", " h", "ll"]
    out = struct.pack("<i", max(len(p.encode()) for p in pieces))
    for i, p in enumerate(pieces):
        b = p.encode()
        out += struct.pack("<fi", -float(i), len(b)) + b
    return out


def encode_decode_seeds() -> dict[str, bytes]:
    # byte 0: tokenizer index, byte 1: mode (bit 0 decode, bit 1 add_special_tokens), then text / ids
    texts = ["Hello world", " hello\n\nworld  123", "h\u00e9llo \u4f60\u597d \U0001f600", "<s>a</s><|endoftext|>",
             "<|im_start|>user\nhi<|im_end|>", "don't  DO   it's 12345"]
    seeds = {}
    for i in range(10):
        seeds[f"encode_{i}"] = bytes([i, i & 2]) + texts[i % len(texts)].encode()
        seeds[f"decode_{i}"] = bytes([i, 1]) + bytes(range(0, 48))
    return seeds


def main() -> None:
    files = {
        "gguf/tiny_llama.gguf": tiny_llama_gguf(),
        "gguf/tiny_gpt2.gguf": tiny_gpt2_gguf(),
        "safetensors/tiny.safetensors": tiny_safetensors(),
        "llama2c/tiny_shared.bin": tiny_llama2c(True),
        "llama2c/tiny_classifier.bin": tiny_llama2c(False),
        "llama2c_tokenizer/tiny_tokenizer.bin": tiny_llama2c_tokenizer(),
    }
    files.update({f"encode_decode/{k}": v for k, v in encode_decode_seeds().items()})
    total = 0
    for rel, blob in files.items():
        path = OUT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)
        total += len(blob)
    print(f"wrote {len(files)} seeds, {total} bytes, under {OUT}")


if __name__ == "__main__":
    main()
