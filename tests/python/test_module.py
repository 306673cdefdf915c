"""Tests of the `kvlm` Python module (src/python/module.cpp) against HF's own numbers.

Not the library's test suite (tests/*.cpp under ctest is): these check that the bindings hand the
C++ results over intact. The reference is each fixture's reference.safetensors, written by HF
transformers (scripts/reference/make_fixtures.py) and read here with safetensors/numpy, not with kvlm.
Run: pytest tests/python   (after building; notebooks/_setup.py finds the module, or set KVLM_PYTHON_PATH)
"""
import pathlib
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "notebooks"))
from _setup import kvlm  # noqa: E402

safetensors_numpy = pytest.importorskip("safetensors.numpy")

MODELS = ROOT / "data" / "models"
FIXTURES = ["llama-mha", "llama-gqa-tied", "llama-mqa-f16", "qwen2-bf16", "gpt2"]
# fp32 kvlm vs HF's float64 run; the same tolerance as kvlm/verify/reference.hpp (Tolerance::logits).
LOGIT_TOLERANCE = 1e-4


def hf_reference(fixture):
    """{prompt: {field: array}} straight from the file HF wrote."""
    tensors = safetensors_numpy.load_file(str(MODELS / fixture / "reference.safetensors"))
    prompts = {}
    for key, value in tensors.items():
        prompt, field = key.split(".", 1)
        prompts.setdefault(prompt, {})[field] = value
    return prompts


@pytest.mark.parametrize("fixture", FIXTURES)
def test_logits_and_hidden_states_match_hf(fixture):
    model = kvlm.load_model(MODELS / fixture)
    for name, ref in hf_reference(fixture).items():
        ids = ref["input_ids"].tolist()
        out = kvlm.forward(model, ids, output_hidden_states=True)
        assert out.logits.shape == ref["logits"].shape
        assert np.abs(out.logits - ref["logits"]).max() < LOGIT_TOLERANCE, name
        for l, h in enumerate(out.hidden_states):
            expected = ref[f"hidden{l}"]
            # absolute + relative, as Tolerance::hidden / hidden_relative: the residual stream grows
            assert np.all(np.abs(h - expected) <= 1e-4 + 1e-4 * np.abs(expected)), f"{name} hidden{l}"


@pytest.mark.parametrize("fixture", ["llama-mha", "qwen2-bf16"])
def test_cache_holds_hf_keys_and_values(fixture):
    model = kvlm.load_model(MODELS / fixture)
    c = model.config
    ref = hf_reference(fixture)["p2"]
    ids = ref["input_ids"].tolist()
    cache = kvlm.KVCache(c, max_seq_len=len(ids))
    kvlm.forward(model, ids, cache=cache)
    for l in range(c.num_hidden_layers):
        for kind, ours in (("k", cache.keys(l)), ("v", cache.values(l))):
            theirs = ref[f"layer{l}.{kind}"]  # [KV, T, hd] -> [T, KV * hd]
            theirs = theirs.transpose(1, 0, 2).reshape(len(ids), -1)
            assert np.abs(ours - theirs).max() < 1e-4


@pytest.mark.parametrize("kind, block", [("contiguous", 16), ("paged", 1), ("paged", 16)])
def test_every_exact_cache_kind_continues_as_hf(kind, block):
    model = kvlm.load_model(MODELS / "llama-gqa-tied")
    for name, ref in hf_reference("llama-gqa-tied").items():
        ids, n = ref["input_ids"].tolist(), len(ref["greedy"])
        g = kvlm.generate_cached(model, ids, max_new_tokens=n, stop_at_eos=False, kv_cache=kind, kv_block=block)
        assert g.tokens == ref["greedy"].tolist(), f"{name} {kind}"
        assert g.kv_cache_bytes >= g.kv_cache_bytes_used > 0


def test_paged_caches_on_one_pool_reuse_a_shared_prefix():
    model = kvlm.load_model(MODELS / "llama-gqa-tied")
    c = model.config
    ref = hf_reference("llama-gqa-tied")["p2"]
    ids, n = ref["input_ids"].tolist(), len(ref["greedy"])
    pool = kvlm.BlockPool(c, block_size=4, num_blocks=64)
    first = kvlm.generate_cached(model, ids, max_new_tokens=n, stop_at_eos=False, cache=kvlm.PagedKVCache(c, pool))
    again = kvlm.generate_cached(model, ids, max_new_tokens=n, stop_at_eos=False, cache=kvlm.PagedKVCache(c, pool))
    assert first.reused_positions == 0
    assert again.reused_positions == min(len(ids) // 4 * 4, len(ids) - 1)  # full blocks, the last token fed again
    assert first.tokens == again.tokens == ref["greedy"].tolist()
    assert pool.num_free == pool.num_blocks  # both caches are gone: every block is back


def test_bad_cache_options_raise_kvlm_errors():
    model = kvlm.load_model(MODELS / "llama-gqa-tied")
    with pytest.raises(kvlm.Error, match="--kv-block"):
        kvlm.generate_cached(model, [1, 2, 3], kv_cache="paged", kv_block=0)
    with pytest.raises(kvlm.Error, match="unknown KV cache kind"):
        kvlm.generate_cached(model, [1, 2, 3], kv_cache="nope")


def test_greedy_paths_match_hf_and_each_other():
    # HF's reference paths run the full length without stopping at EOS, so neither do these.
    model = kvlm.load_model(MODELS / "llama-gqa-tied")
    for name, ref in hf_reference("llama-gqa-tied").items():
        ids, n = ref["input_ids"].tolist(), len(ref["greedy"])
        naive = kvlm.generate_naive(model, ids, max_new_tokens=n, stop_at_eos=False)
        cached = kvlm.generate_cached(model, ids, max_new_tokens=n, stop_at_eos=False)
        assert naive.tokens == cached.tokens == ref["greedy"].tolist(), name
        assert len(cached.step_ms) == n and cached.kv_cache_bytes > 0 and naive.kv_cache_bytes == 0


def test_attention_weights_are_causal_probabilities():
    model = kvlm.load_model(MODELS / "llama-gqa-tied")
    out = kvlm.forward(model, list(range(1, 9)), output_attentions=True)
    assert len(out.attentions) == model.config.num_hidden_layers
    for a in out.attentions:
        assert a.shape == (model.config.num_attention_heads, 8, 8)
        assert np.allclose(a.sum(-1), 1, atol=1e-5)
        assert np.all(np.triu(a, k=1) == 0)


def test_read_reference_matches_safetensors():
    path = MODELS / "gpt2" / "reference.safetensors"
    raw = hf_reference("gpt2")
    for ref in kvlm.read_reference(path):
        assert ref.input_ids == raw[ref.name]["input_ids"].tolist()
        assert np.array_equal(ref.logits, raw[ref.name]["logits"])
        assert ref.greedy == raw[ref.name]["greedy"].tolist()


def test_rope_preserves_length_and_matches_the_formula():
    hd, theta = 16, 10000.0
    cos, sin = kvlm.rope_angles(hd, theta, 3, 2)
    expected = np.array([[p * theta ** (-2 * i / hd) for i in range(hd // 2)] for p in (3, 4)])
    assert np.allclose(cos, np.cos(expected), atol=1e-6) and np.allclose(sin, np.sin(expected), atol=1e-6)
    x = np.random.default_rng(0).normal(size=(2, 2 * hd)).astype(np.float32)
    for layout in (kvlm.RopeLayout.half_split, kvlm.RopeLayout.interleaved):
        y = kvlm.apply_rope(x, 2, hd, cos, sin, layout)
        assert np.allclose(np.linalg.norm(y.reshape(2, 2, hd), axis=-1), np.linalg.norm(x.reshape(2, 2, hd), axis=-1))


def test_kv_cache_bytes_per_token_formula():
    assert kvlm.kv_cache_bytes_per_token(30, 3, 64) == 2 * 30 * 3 * 64 * 4  # SmolLM2-135M in fp32
    model = kvlm.load_model(MODELS / "llama-gqa-tied")
    c = model.config
    assert kvlm.KVCache.bytes_per_token(c) == 2 * c.num_hidden_layers * c.num_key_value_heads * c.head_dim * 4
    assert kvlm.KVCache(c, 10).bytes() == 10 * kvlm.KVCache.bytes_per_token(c)


def test_errors_become_kvlm_error():
    model = kvlm.load_model(MODELS / "llama-mha")
    with pytest.raises(kvlm.Error, match="vocabulary"):
        kvlm.forward(model, [model.config.vocab_size])
    with pytest.raises(kvlm.Error):
        kvlm.load_model(MODELS / "does-not-exist")


def test_device_cuda_runs_or_says_why_not():
    """device="cuda" (chapter 07): the CUDA forward's logits within 1e-3 of the CPU's (DESIGN.md's GPU
    bound) where a GPU is present; elsewhere a kvlm.Error that says why."""
    model = kvlm.load_model(MODELS / "llama-gqa-tied")
    ids = [1, 17, 42, 7]
    cpu = kvlm.forward(model, ids).logits
    try:
        gpu = kvlm.forward(model, ids, device="cuda").logits
    except kvlm.Error as e:
        assert str(e).startswith('device="cuda"'), str(e)
    else:
        assert np.abs(gpu - cpu).max() < 1e-3
    with pytest.raises(kvlm.Error, match="device must be"):
        kvlm.forward(model, ids, device="tpu")


def test_two_threads_generate_what_one_does_after_the_other():
    """forward and generate release the GIL: two Python threads may generate at once, each on its
    own prompt, and get HF's greedy paths, the same tokens as running them one after the other."""
    import threading

    model = kvlm.load_model(MODELS / "llama-gqa-tied")
    refs = list(hf_reference("llama-gqa-tied").values())[:2]
    jobs = [(ref["input_ids"].tolist(), len(ref["greedy"])) for ref in refs]
    sequential = [kvlm.generate_naive(model, ids, max_new_tokens=n, stop_at_eos=False).tokens for ids, n in jobs]
    results = [[None] * 5 for _ in jobs]

    def work(i):
        ids, n = jobs[i]
        for r in range(5):  # naive: the longest loop, so the threads overlap
            results[i][r] = kvlm.generate_naive(model, ids, max_new_tokens=n, stop_at_eos=False).tokens

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, ref in enumerate(refs):
        assert sequential[i] == ref["greedy"].tolist()
        assert results[i] == [sequential[i]] * 5


def test_version_and_hf_style_generate():
    model = kvlm.load_model(MODELS / "llama-gqa-tied")
    ref = next(iter(hf_reference("llama-gqa-tied").values()))
    ids, n = ref["input_ids"].tolist(), len(ref["greedy"])
    assert kvlm.__version__.count(".") == 2
    greedy = kvlm.generate(model, ids, max_new_tokens=n)  # do_sample=False: greedy, as HF
    expected = ref["greedy"].tolist()
    eos = model.config.eos_token_ids
    if any(t in eos for t in expected):  # kvlm.generate stops at EOS, as HF's generate does
        expected = expected[: next(i for i, t in enumerate(expected) if t in eos) + 1]
    assert greedy.tokens == expected
    sampled = kvlm.generate(model, ids, max_new_tokens=n, do_sample=True, temperature=0.8, seed=3)
    assert sampled.tokens == kvlm.generate(model, ids, max_new_tokens=n, do_sample=True, temperature=0.8, seed=3).tokens


# RoPE scaling against HF's own rope functions (transformers' ROPE_INIT_FUNCTIONS), on the
# configs of the family fixtures. HF computes inv_freq in float32, kvlm in double: 1e-6 relative
# covers fp32 rounding (measured: 2.0e-7 at most, on qwen2-yarn; 1.7e-7 llama3, 7e-8 gemma3).
@pytest.mark.parametrize("fixture", ["llama3-scaled", "qwen2-yarn", "gemma3"])
def test_rope_frequencies_match_hf(fixture):
    transformers = pytest.importorskip("transformers")
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
    config = transformers.AutoConfig.from_pretrained(MODELS / fixture)
    params = config.rope_parameters.get("full_attention", config.rope_parameters)
    if params["rope_type"] == "default":
        pytest.skip("no scaling")
    layer_type = "full_attention" if "full_attention" in config.rope_parameters else None
    inv_freq, attention_factor = ROPE_INIT_FUNCTIONS[params["rope_type"]](config, "cpu", layer_type=layer_type)
    ours, our_factor = kvlm.rope_frequencies(kvlm.load_model(MODELS / fixture).config)
    np.testing.assert_allclose(ours, inv_freq.double().numpy(), rtol=1e-6)
    assert our_factor == pytest.approx(attention_factor, rel=1e-6)
