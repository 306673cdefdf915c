#!/usr/bin/env python3
"""Writes the GGUF test fixtures in data/gguf/: tiny seeded HF models and their GGUF conversions.

Not llama.cpp's converter: it mirrors, for three tiny models only, what convert_hf_to_gguf.py does
(tensor names, llama's Q/K permutation, GPT-2's Conv1D transposes and duplicated output), written
out so the test can state exactly which layout each file has. Run from the repository root:

    python scripts/reference/make_gguf_fixtures.py            # writes data/gguf/

Outputs (deterministic for a given torch / gguf version):
  {llama,qwen2,gpt2}-tiny/   config.json + model.safetensors (HF layout, F32), seeded random weights
  llama-tiny.f32.gguf        llama, F32, Q/K rows permuted as llama.cpp does (interleaved RoPE)
  llama-tiny.q.gguf          same, quantized like a llama.cpp Q4_1 file: token_embd Q8_0,
                             attention Q4_1, MLP Q4_0, norms F32
  (every GGUF carries a toy tokenizer.ggml.* vocabulary of 128 tokens, not a trained one)
  qwen2-tiny.f32.gguf        qwen2, F32, HF row order (NEOX RoPE), q/k/v biases, tied head
  qwen2-tiny.q8_0.gguf       same with every 2-D weight in Q8_0
  gpt2-tiny.f32.gguf         gpt2, F32, Conv1D weights transposed to (out, in), output = wte
  gpt2-tiny.bf16.gguf        same with 2-D weights in BF16 (and wpe in F16)
  llama-kquants-tiny.gguf    llama with hidden 256 (one K-quant super-block per row) and random
                             Q4_K / Q6_K blocks (random bytes, scales set so weights are ~0.05),
                             Q8_0 token_embd, F32 norms: chapter 08's K-quant path without models/
  quant_golden.gguf          blocks of every supported type next to gguf-py's dequantization, and
                             the source values gguf-py quantized Q8_0, Q4_0, Q4_1 and Q5_0 from

With --families it instead writes model.f32.gguf into each family fixture of data/models/ (made by
make_fixtures.py), converted from its config.json and model.safetensors the way
convert_hf_to_gguf.py does, with gguf-py's own tensor names. The model tests then check each GGUF
against the same HF float64 reference as its folder:
  llama3-scaled, mistral  llama: Q/K permuted; Llama 3's rule as rope_freqs.weight; Mistral's window
                          as llama.attention.sliding_window (llama.cpp's converter leaves it out)
  qwen2-yarn              qwen2 with rope.scaling.type yarn
  qwen3                   qwen3: attn_q_norm / attn_k_norm, key_length 16
  phi3                    phi3: attn_qkv and the fused [gate; up] ffn_up kept fused
  gemma3-6layer           gemma3: 1 + w stored in every norm; llama.cpp's fixed layer pattern (every 6th
                          layer global) and attention scale, which this fixture's config follows
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import gguf
import numpy as np
import torch
from gguf import GGMLQuantizationType as Q
from safetensors.numpy import load_file
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

SEED = 1234
VOCAB = 128
HIDDEN = 32
LAYERS = 2


def randomize(model: torch.nn.Module, seed: int) -> None:
    """Seeded weights large enough that any layout slip changes numbers visibly."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 1 and ("norm" in name or "ln_" in name) and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.3 * torch.randn(p.shape, generator=g))


def build_models() -> dict[str, torch.nn.Module]:
    llama = LlamaForCausalLM(LlamaConfig(
        vocab_size=VOCAB, hidden_size=HIDDEN, intermediate_size=64, num_hidden_layers=LAYERS,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-5,
        rope_theta=10000.0, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2))
    qwen2 = Qwen2ForCausalLM(Qwen2Config(
        vocab_size=VOCAB, hidden_size=HIDDEN, intermediate_size=64, num_hidden_layers=LAYERS,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-6,
        rope_theta=1e6, tie_word_embeddings=True, bos_token_id=1, eos_token_id=2))
    gpt2 = GPT2LMHeadModel(GPT2Config(
        vocab_size=VOCAB, n_embd=HIDDEN, n_layer=LAYERS, n_head=4, n_positions=64,
        layer_norm_epsilon=1e-5, bos_token_id=1, eos_token_id=2))
    models = {"llama-tiny": llama, "qwen2-tiny": qwen2, "gpt2-tiny": gpt2}
    for i, m in enumerate(models.values()):
        randomize(m, SEED + i)
        m.eval()
    return models


def permute(w: np.ndarray, n_head: int, n_head_kv: int | None) -> np.ndarray:
    """llama.cpp's LlamaModel.permute: HF's half-split rows -> Meta's interleaved rows, per head."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def hf_tensors(model: torch.nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().float().numpy().copy() for k, v in model.state_dict().items()}


def gguf_tensors(arch: str, model: torch.nn.Module) -> list[tuple[str, np.ndarray]]:
    """(GGUF name, array in GGUF's (out, in) numpy layout), as convert_hf_to_gguf.py names them."""
    cfg, t = model.config, hf_tensors(model)
    out: list[tuple[str, np.ndarray]] = []
    if arch in ("llama", "qwen2"):
        out.append(("token_embd.weight", t["model.embed_tokens.weight"]))
        for i in range(cfg.num_hidden_layers):
            p = f"model.layers.{i}."
            q, k = t[p + "self_attn.q_proj.weight"], t[p + "self_attn.k_proj.weight"]
            if arch == "llama":  # only llama is permuted; qwen2 keeps HF order (NEOX RoPE)
                q = permute(q, cfg.num_attention_heads, cfg.num_attention_heads)
                k = permute(k, cfg.num_attention_heads, cfg.num_key_value_heads)
            out += [(f"blk.{i}.attn_norm.weight", t[p + "input_layernorm.weight"]),
                    (f"blk.{i}.attn_q.weight", q), (f"blk.{i}.attn_k.weight", k),
                    (f"blk.{i}.attn_v.weight", t[p + "self_attn.v_proj.weight"]),
                    (f"blk.{i}.attn_output.weight", t[p + "self_attn.o_proj.weight"]),
                    (f"blk.{i}.ffn_norm.weight", t[p + "post_attention_layernorm.weight"]),
                    (f"blk.{i}.ffn_gate.weight", t[p + "mlp.gate_proj.weight"]),
                    (f"blk.{i}.ffn_up.weight", t[p + "mlp.up_proj.weight"]),
                    (f"blk.{i}.ffn_down.weight", t[p + "mlp.down_proj.weight"])]
            if arch == "qwen2":
                out += [(f"blk.{i}.attn_{x}.bias", t[p + f"self_attn.{x}_proj.bias"]) for x in "qkv"]
        out.append(("output_norm.weight", t["model.norm.weight"]))
        if not cfg.tie_word_embeddings:
            out.append(("output.weight", t["lm_head.weight"]))
        return out
    # gpt2: Conv1D weights are (in, out); llama.cpp transposes them to (out, in).
    out += [("token_embd.weight", t["transformer.wte.weight"]),
            ("position_embd.weight", t["transformer.wpe.weight"])]
    names = {"ln_1": "attn_norm", "attn.c_attn": "attn_qkv", "attn.c_proj": "attn_output",
             "ln_2": "ffn_norm", "mlp.c_fc": "ffn_up", "mlp.c_proj": "ffn_down"}
    for i in range(cfg.n_layer):
        for hf, gg in names.items():
            w, b = t[f"transformer.h.{i}.{hf}.weight"], t[f"transformer.h.{i}.{hf}.bias"]
            out += [(f"blk.{i}.{gg}.weight", w.T.copy() if w.ndim == 2 else w), (f"blk.{i}.{gg}.bias", b)]
    out += [("output_norm.weight", t["transformer.ln_f.weight"]), ("output_norm.bias", t["transformer.ln_f.bias"]),
            ("output.weight", t["transformer.wte.weight"])]  # llama.cpp duplicates the tied wte
    return out


def rope_theta(cfg) -> float:
    """transformers 5 moved rope_theta into rope_parameters; 4.x has it at the top level."""
    params = getattr(cfg, "rope_parameters", None) or {}
    return float(params.get("rope_theta", getattr(cfg, "rope_theta", 10000.0)))


def add_config(w: gguf.GGUFWriter, arch: str, cfg) -> None:
    if arch == "gpt2":
        w.add_context_length(cfg.n_positions)
        w.add_embedding_length(cfg.n_embd)
        w.add_feed_forward_length(4 * cfg.n_embd)
        w.add_block_count(cfg.n_layer)
        w.add_head_count(cfg.n_head)
        w.add_layer_norm_eps(cfg.layer_norm_epsilon)
    else:
        w.add_context_length(cfg.max_position_embeddings)
        w.add_embedding_length(cfg.hidden_size)
        w.add_feed_forward_length(cfg.intermediate_size)
        w.add_block_count(cfg.num_hidden_layers)
        w.add_head_count(cfg.num_attention_heads)
        w.add_head_count_kv(cfg.num_key_value_heads)
        w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
        w.add_rope_freq_base(rope_theta(cfg))
        w.add_rope_dimension_count(cfg.hidden_size // cfg.num_attention_heads)
    w.add_vocab_size(cfg.vocab_size)
    w.add_bos_token_id(cfg.bos_token_id)
    w.add_eos_token_id(cfg.eos_token_id)


def add_toy_tokenizer(w: gguf.GGUFWriter) -> None:
    """A byte-level-BPE-shaped vocabulary (not a trained one): enough to test the extraction."""
    tokens = ["<unk>", "<s>", "</s>"] + [f"t{i}" for i in range(3, VOCAB)]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_types([3, 3, 3] + [1] * (VOCAB - 3))
    w.add_token_merges(["t 3", "t3 4", "t 5"])
    w.add_add_bos_token(False)


def choose_type(name: str, arr: np.ndarray, scheme: str) -> Q:
    if arr.ndim < 2 or name.endswith("_norm.weight"):
        return Q.F32
    if scheme == "mixed":  # like SmolLM2's Q4_1 file, plus Q4_0 so all three block types appear
        if name == "token_embd.weight":
            return Q.Q8_0
        return Q.Q4_0 if ".ffn_" in name else Q.Q4_1
    if scheme == "bf16":
        return Q.F16 if name == "position_embd.weight" else Q.BF16
    return {"f32": Q.F32, "q8_0": Q.Q8_0}[scheme]


def write_gguf(path: Path, arch: str, model: torch.nn.Module, scheme: str) -> None:
    w = gguf.GGUFWriter(path, arch)
    w.add_name(f"kvlm {arch} fixture ({scheme})")
    add_config(w, arch, model.config)
    add_toy_tokenizer(w)  # HF's GGUF loader takes the vocabulary size from it
    for name, arr in gguf_tensors(arch, model):
        qtype = choose_type(name, arr, scheme)
        if qtype == Q.F32:
            w.add_tensor(name, arr.astype(np.float32))
        elif qtype == Q.F16:
            w.add_tensor(name, arr.astype(np.float16))
        else:
            w.add_tensor(name, gguf.quants.quantize(arr.astype(np.float32), qtype), raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def write_quant_golden(path: Path) -> None:
    """Blocks of each type with gguf-py's own dequantization stored beside them as F32."""
    rng = np.random.default_rng(SEED)
    # 4 rows x 96 values = 12 blocks of 32; each block gets its own scale and offset.
    x = rng.standard_normal((4, 96)).astype(np.float32)
    x *= np.repeat(rng.uniform(0.01, 4.0, (4, 3)), 32, axis=1).astype(np.float32)
    x += np.repeat(rng.uniform(-1.0, 1.0, (4, 3)), 32, axis=1).astype(np.float32)
    x[0, :32] = 0.0                    # an all-zero block (scale 0)
    x[1, 32:64] = np.abs(x[1, 32:64])  # an all-positive block (Q4_1's minimum > 0)
    w = gguf.GGUFWriter(path, "kvlm-quant-golden")
    w.add_array("kvlm.golden.source", x.flatten().tolist()[:8])  # float array metadata, for the parser
    w.add_tensor("source", x)  # what Q8_0 / Q4_0 / Q4_1 below were quantized from (kvlm's quantize test)
    for qtype in (Q.Q8_0, Q.Q4_0, Q.Q4_1, Q.Q5_0, Q.BF16):
        q = gguf.quants.quantize(x, qtype)
        w.add_tensor(qtype.name.lower(), q, raw_dtype=qtype)
        w.add_tensor(qtype.name.lower() + ".expected", gguf.quants.dequantize(q, qtype).astype(np.float32))
    # K-quants: gguf-py dequantizes but cannot quantize them, so each gets 4 random super-blocks of
    # 256 values (random bytes, with the fp16 d / dmin fields set to finite random scales).
    kquants = {Q.Q2_K: (80, 82), Q.Q3_K: (108,), Q.Q4_K: (0, 2), Q.Q5_K: (0, 2), Q.Q6_K: (208,)}
    for qtype, scale_offsets in kquants.items():
        n_bytes = gguf.constants.GGML_QUANT_SIZES[qtype][1]
        blocks = rng.integers(0, 256, (4, n_bytes), dtype=np.uint8)
        for off in scale_offsets:
            blocks[:, off:off + 2] = rng.uniform(-0.1, 0.1, (4, 1)).astype(np.float16).view(np.uint8)
        w.add_tensor(qtype.name.lower(), blocks, raw_dtype=qtype)
        w.add_tensor(qtype.name.lower() + ".expected", gguf.quants.dequantize(blocks, qtype).astype(np.float32))
    special = np.array([0.0, -0.0, 1.0, -2.5, 65504.0, -65504.0, 6.1035156e-05, 5.9604645e-08,
                        3.0e-07, np.inf, -np.inf, 0.333251953125] + [0.5] * 20, dtype=np.float16)
    w.add_tensor("f16", special.reshape(1, 32))
    w.add_tensor("f16.expected", special.astype(np.float32).reshape(1, 32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def random_k_blocks(rng: np.random.Generator, qtype: Q, rows: int, cols: int) -> np.ndarray:
    """rows x cols values of random Q4_K or Q6_K blocks: random bytes (every pattern is a valid
    block) with the fp16 scales set so that the values are of the order of 0.05, as trained weights."""
    n_bytes = gguf.constants.GGML_QUANT_SIZES[qtype][1]
    blocks = rng.integers(0, 256, (rows * cols // 256, n_bytes), dtype=np.uint8)
    if qtype == Q.Q4_K:  # x = d * scale * q - dmin * min, scale and min in 0..63, q in 0..15
        blocks[:, 0:2] = rng.uniform(1e-4, 3e-4, (len(blocks), 1)).astype(np.float16).view(np.uint8)
        blocks[:, 2:4] = rng.uniform(1e-3, 2e-3, (len(blocks), 1)).astype(np.float16).view(np.uint8)
    else:  # Q6_K: x = d * scale * q, scale in -128..127, q in -32..31
        blocks[:, 208:210] = rng.uniform(2e-5, 6e-5, (len(blocks), 1)).astype(np.float16).view(np.uint8)
    return blocks.reshape(rows, -1)


def write_kquant_tiny(path: Path) -> None:
    """A llama of random weights whose projections are Q4_K and Q6_K blocks (gguf-py cannot make
    K-quants, and llama-quantize would need rows of 256 from a trained model: random blocks it is).
    No HF twin: the tests hold its blocks to the same file widened to fp32."""
    rng = np.random.default_rng(SEED + 256)
    hidden, inter, layers, heads, kv_heads = 256, 256, 2, 4, 2
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("kvlm llama fixture (Q4_K / Q6_K)")
    w.add_context_length(64)
    w.add_embedding_length(hidden)
    w.add_feed_forward_length(inter)
    w.add_block_count(layers)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    w.add_rope_dimension_count(hidden // heads)
    w.add_vocab_size(VOCAB)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    add_toy_tokenizer(w)
    embd = rng.standard_normal((VOCAB, hidden)).astype(np.float32)
    w.add_tensor("token_embd.weight", gguf.quants.quantize(embd, Q.Q8_0), raw_dtype=Q.Q8_0)
    kv = hidden // heads * kv_heads
    shapes = {"attn_q": (hidden, hidden, Q.Q4_K), "attn_k": (kv, hidden, Q.Q4_K), "attn_v": (kv, hidden, Q.Q6_K),
              "attn_output": (hidden, hidden, Q.Q6_K), "ffn_gate": (inter, hidden, Q.Q4_K),
              "ffn_up": (inter, hidden, Q.Q4_K), "ffn_down": (hidden, inter, Q.Q6_K)}
    for i in range(layers):
        w.add_tensor(f"blk.{i}.attn_norm.weight", rng.uniform(0.8, 1.2, hidden).astype(np.float32))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", rng.uniform(0.8, 1.2, hidden).astype(np.float32))
        for name, (rows, cols, qtype) in shapes.items():
            w.add_tensor(f"blk.{i}.{name}.weight", random_k_blocks(rng, qtype, rows, cols), raw_dtype=qtype)
    w.add_tensor("output_norm.weight", rng.uniform(0.8, 1.2, hidden).astype(np.float32))
    w.add_tensor("output.weight", random_k_blocks(rng, Q.Q6_K, VOCAB, hidden), raw_dtype=Q.Q6_K)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def add_byte_tokenizer(w: gguf.GGUFWriter, vocab: int) -> None:
    """Specials, then GPT-2's byte alphabet in byte order, as many bytes as fit, and no merges: a
    vocabulary that loads, so that the CLI runs on these files with text prompts too."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    shifted, n = {}, 0
    for b in range(256):  # GPT-2's bytes_to_unicode: unprintable bytes move to U+0100 and up
        if b not in printable:
            shifted[b], n = chr(256 + n), n + 1
    alphabet = [chr(b) if b in printable else shifted[b] for b in range(256)]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list(["<unk>", "<s>", "</s>"] + alphabet[:vocab - 3])
    w.add_token_types([3, 3, 3] + [1] * (vocab - 3))
    w.add_token_merges([])
    w.add_add_bos_token(True)


# data/models fixture -> llama.cpp architecture of its GGUF.
FAMILIES = {"llama3-scaled": "llama", "mistral": "llama", "qwen2-yarn": "qwen2", "qwen3": "qwen3",
            "phi3": "phi3", "gemma3-6layer": "gemma3"}


def llama3_rope_freqs(head_dim: int, theta: float, p: dict) -> np.ndarray:
    """convert_hf_to_gguf.py's LlamaModel: the llama3 rule as divisors of each inverse frequency."""
    freqs = 1.0 / (theta ** (np.arange(0, head_dim, 2, dtype=np.float32) / head_dim))
    old_ctx = p["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old_ctx / p["low_freq_factor"], old_ctx / p["high_freq_factor"]
    out = []
    for f in freqs:
        wavelen = 2 * math.pi / f
        if wavelen < high_wavelen:
            out.append(1.0)
        elif wavelen > low_wavelen:
            out.append(p["factor"])
        else:
            smooth = (old_ctx / wavelen - p["low_freq_factor"]) / (p["high_freq_factor"] - p["low_freq_factor"])
            out.append(1.0 / ((1 - smooth) / p["factor"] + smooth))
    return np.array(out, dtype=np.float32)


def write_family_gguf(folder: Path, arch: str) -> Path:
    cfg = json.loads((folder / "config.json").read_text())
    hf = {k: v.astype(np.float32) for k, v in load_file(folder / "model.safetensors").items()}
    n_head, n_kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // n_head
    rope = cfg.get("rope_parameters") or {}
    global_rope = rope.get("full_attention", rope)  # Gemma 3 nests one per layer type
    path = folder / "model.f32.gguf"
    w = gguf.GGUFWriter(path, arch)
    w.add_name(f"kvlm {folder.name} fixture (f32)")
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    w.add_rope_freq_base(global_rope["rope_theta"])
    w.add_rope_dimension_count(head_dim)
    if cfg.get("sliding_window"):
        w.add_sliding_window(cfg["sliding_window"])
    if global_rope.get("rope_type") == "linear":
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(global_rope["factor"])
    if global_rope.get("rope_type") == "yarn":
        w.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        w.add_rope_scaling_factor(global_rope["factor"])
        w.add_rope_scaling_orig_ctx_len(global_rope["original_max_position_embeddings"])
    w.add_vocab_size(cfg["vocab_size"])
    w.add_bos_token_id(cfg["bos_token_id"])
    w.add_eos_token_id(cfg["eos_token_id"])
    add_byte_tokenizer(w, cfg["vocab_size"])

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH[arch.upper()], cfg["num_hidden_layers"])
    if global_rope.get("rope_type") == "llama3":
        w.add_tensor("rope_freqs.weight", llama3_rope_freqs(head_dim, global_rope["rope_theta"], global_rope))
    for hf_name, arr in hf.items():
        if hf_name == "lm_head.weight" and cfg.get("tie_word_embeddings"):
            continue
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:
            raise SystemExit(f"{folder.name}: gguf-py has no {arch} name for {hf_name}")
        if arch == "llama" and hf_name.endswith("q_proj.weight"):
            arr = permute(arr, n_head, n_head)
        if arch == "llama" and hf_name.endswith("k_proj.weight"):
            arr = permute(arr, n_head, n_kv)
        if arch == "gemma3" and hf_name.endswith("norm.weight"):
            arr = arr + 1.0  # Gemma3RMSNorm multiplies by (1 + w); llama.cpp stores 1 + w
        w.add_tensor(name, np.ascontiguousarray(arr))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("data/gguf"))
    ap.add_argument("--families", action="store_true", help="write data/models/<family>/model.f32.gguf only")
    args = ap.parse_args()
    if args.families:
        for name, arch in FAMILIES.items():
            path = write_family_gguf(Path("data/models") / name, arch)
            print(f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB, {arch})")
        return
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    for name, model in build_models().items():
        arch = name.split("-")[0]
        model.save_pretrained(out / name, safe_serialization=True)
        (out / name / "generation_config.json").unlink(missing_ok=True)
        write_gguf(out / f"{name}.f32.gguf", arch, model, "f32")
        scheme = {"llama": "mixed", "qwen2": "q8_0", "gpt2": "bf16"}[arch]
        suffix = {"mixed": "q"}.get(scheme, scheme)
        write_gguf(out / f"{name}.{suffix}.gguf", arch, model, scheme)
    write_quant_golden(out / "quant_golden.gguf")
    write_kquant_tiny(out / "llama-kquants-tiny.gguf")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({total / 1e6:.2f} MB), gguf {gguf.__name__} / torch {torch.__version__}")


if __name__ == "__main__":
    main()
