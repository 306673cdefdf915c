// The `kvlm` Python module: the library's own functions, callable from the notebooks (notebooks/).
// Not a second implementation and not a PyTorch replacement: every call runs the C++ code in
// src/kvlm/ and hands back numpy copies; names follow the C++ (and so HF) names.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "kvlm/cache/kv_cache.hpp"
#include "kvlm/cache/make_kv_cache.hpp"
#include "kvlm/cache/paged.hpp"
#include "kvlm/error.hpp"
#include "kvlm/generate/generate.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/config.hpp"
#include "kvlm/model/rope.hpp"
#include "kvlm/model/transformer.hpp"
#include "kvlm/tokenizer/tokenizer.hpp"
#include "kvlm/verify/reference.hpp"
#include "numpy_convert.hpp"
#if KVLM_HAS_CUDA
#include "kvlm/cuda/device.hpp"
#include "kvlm/cuda/transformer.hpp"
#endif

namespace kvlm::python {
namespace {

using namespace pybind11::literals;

// What forward returns: HF's CausalLMOutput without the batch dimension.
struct ForwardOutput {
  py::array_t<float> logits;                       // [T, V]
  std::optional<std::vector<py::array_t<float>>> hidden_states;  // L + 1 of [T, D]
  std::optional<std::vector<py::array_t<float>>> attentions;     // L of [H, T, S]
};

// device="cuda": chapter 07's forward, the weights uploaded for this call (for checking, not speed),
// without a cache or traces. A clear kvlm.Error where CUDA was not built or no GPU is present.
Matrix forward_on_cuda(const Model& model, const std::vector<int>& ids, int start_pos, const KVCache* cache,
                       bool traced) {
  if (cache || start_pos != 0 || traced)
    throw Error("device=\"cuda\" runs the whole sequence from position 0, without a cache or traces, for now");
#if KVLM_HAS_CUDA
  std::string why;
  if (!cuda::device_present(&why)) throw Error("device=\"cuda\": " + why);
  py::gil_scoped_release release;
  return cuda::forward(cuda::upload(model), ids, 0, nullptr);
#else
  (void)model, (void)ids;
  throw Error("device=\"cuda\": this kvlm module was built without CUDA");
#endif
}

ForwardOutput run_forward(const Model& model, const std::vector<int>& ids, int start_pos, KVCache* cache,
                          bool output_hidden_states, bool output_attentions, const std::string& device) {
  if (device != "cpu" && device != "cuda") throw Error("device must be \"cpu\" or \"cuda\", not \"" + device + "\"");
  if (device == "cuda")
    return {to_numpy(forward_on_cuda(model, ids, start_pos, cache, output_hidden_states || output_attentions)),
            std::nullopt, std::nullopt};
  ForwardTrace trace;
  trace.keep_attention = output_attentions;
  const bool want_trace = output_hidden_states || output_attentions;
  Matrix logits;
  {
    py::gil_scoped_release release;  // the C++ forward does not touch Python objects
    logits = forward(model, ids, start_pos, cache, want_trace ? &trace : nullptr);
  }
  ForwardOutput out{to_numpy(logits), std::nullopt, std::nullopt};
  if (output_hidden_states) {
    out.hidden_states.emplace();
    for (const Matrix& h : trace.hidden_states) out.hidden_states->push_back(to_numpy(h));
  }
  if (output_attentions) {
    out.attentions.emplace();
    for (const std::vector<Matrix>& heads : trace.attention) out.attentions->push_back(stack_to_numpy(heads));
  }
  return out;
}

Generation run_generation(bool cached, const Model& model, const std::vector<int>& prompt, int max_new_tokens,
                          float temperature, int top_k, float top_p, uint64_t seed,
                          const std::vector<int>& stop_token_ids, bool stop_at_eos,
                          const KVCacheOptions& kv_cache = {}, KVCache* cache = nullptr) {
  GenerationConfig config;
  config.max_new_tokens = max_new_tokens;
  config.sampler = SamplerConfig{temperature, top_k, top_p, seed};
  config.stop_at_eos = stop_at_eos;
  config.stop_token_ids = stop_token_ids;
  config.kv_cache = kv_cache;
  py::gil_scoped_release release;
  return cached ? generate_cached(model, prompt, config, {}, cache) : generate_naive(model, prompt, config);
}

std::string norm_name(NormKind n) { return n == NormKind::kRmsNorm ? "rmsnorm" : "layernorm"; }
std::string activation_name(Activation a) { return a == Activation::kSilu ? "silu" : "gelu_tanh"; }

void bind_config(py::module_& m) {
  py::enum_<RopeLayout>(m, "RopeLayout", "How RoPE pairs a head's dimensions (config.hpp)")
      .value("half_split", RopeLayout::kHalfSplit, "HF rotate_half: i pairs with i + head_dim/2")
      .value("interleaved", RopeLayout::kInterleaved, "Meta / llama2.c: 2i pairs with 2i+1")
      .value("none", RopeLayout::kNone, "no RoPE (GPT-2)");

  // HF's rope_scaling; rope_type as HF spells it ("default", "linear", "llama3", "yarn").
  py::class_<RopeScaling>(m, "RopeScaling", "HF's rope_scaling fields (config.hpp)")
      .def(py::init<>())
      .def_property(
          "rope_type", [](const RopeScaling& s) { return to_string(s.rope_type); },
          [](RopeScaling& s, const std::string& name) {
            for (RopeType t : {RopeType::kDefault, RopeType::kLinear, RopeType::kLlama3, RopeType::kYarn})
              if (to_string(t) == name) return void(s.rope_type = t);
            throw Error("rope_type \"" + name + "\" is not one of default, linear, llama3, yarn");
          })
      .def_readwrite("factor", &RopeScaling::factor)
      .def_readwrite("original_max_position_embeddings", &RopeScaling::original_max_position_embeddings)
      .def_readwrite("low_freq_factor", &RopeScaling::low_freq_factor)
      .def_readwrite("high_freq_factor", &RopeScaling::high_freq_factor)
      .def_readwrite("beta_fast", &RopeScaling::beta_fast)
      .def_readwrite("beta_slow", &RopeScaling::beta_slow)
      .def_readwrite("truncate", &RopeScaling::truncate)
      .def_readwrite("attention_factor", &RopeScaling::attention_factor);

  // Read-write so that a notebook can describe a model it does not have (the memory plot of chapter 06).
  py::class_<ModelConfig>(m, "ModelConfig", "The numbers that shape the network, named as in HF's config.json")
      .def(py::init<>())
      .def_property_readonly("architecture", [](const ModelConfig& c) { return to_string(c.architecture); })
      .def_readwrite("hidden_size", &ModelConfig::hidden_size)
      .def_readwrite("num_hidden_layers", &ModelConfig::num_hidden_layers)
      .def_readwrite("num_attention_heads", &ModelConfig::num_attention_heads)
      .def_readwrite("num_key_value_heads", &ModelConfig::num_key_value_heads)
      .def_readwrite("head_dim", &ModelConfig::head_dim)
      .def_readwrite("intermediate_size", &ModelConfig::intermediate_size)
      .def_readwrite("vocab_size", &ModelConfig::vocab_size)
      .def_readwrite("max_position_embeddings", &ModelConfig::max_position_embeddings)
      .def_property_readonly("norm", [](const ModelConfig& c) { return norm_name(c.norm); })
      .def_readwrite("norm_eps", &ModelConfig::norm_eps)
      .def_property_readonly("hidden_act", [](const ModelConfig& c) { return activation_name(c.hidden_act); })
      .def_readwrite("rope_layout", &ModelConfig::rope_layout)
      .def_readwrite("rope_theta", &ModelConfig::rope_theta)
      .def_readwrite("tie_word_embeddings", &ModelConfig::tie_word_embeddings)
      .def_readwrite("attention_bias", &ModelConfig::attention_bias)
      .def_readwrite("rope_scaling", &ModelConfig::rope_scaling)
      .def_readwrite("rope_freqs", &ModelConfig::rope_freqs)
      .def_readwrite("qk_norm", &ModelConfig::qk_norm)
      .def_readwrite("norm_weight_offset", &ModelConfig::norm_weight_offset)
      .def_readwrite("sandwich_norms", &ModelConfig::sandwich_norms)
      .def_readwrite("embed_scale", &ModelConfig::embed_scale)
      .def_readwrite("query_pre_attn_scalar", &ModelConfig::query_pre_attn_scalar)
      .def_readwrite("sliding_window", &ModelConfig::sliding_window)
      .def_readwrite("rope_local_base_freq", &ModelConfig::rope_local_base_freq)
      .def_property_readonly("layer_types",
                             [](const ModelConfig& c) {
                               std::vector<std::string> names;
                               for (int l = 0; l < c.num_hidden_layers; ++l)
                                 names.push_back(c.layer_is_sliding(l) ? "sliding_attention" : "full_attention");
                               return names;
                             })
      .def_readwrite("bos_token_id", &ModelConfig::bos_token_id)
      .def_readwrite("eos_token_ids", &ModelConfig::eos_token_ids)
      .def_property_readonly("num_key_value_groups", &ModelConfig::num_key_value_groups)
      .def("__repr__", [](const ModelConfig& c) {
        return "ModelConfig(" + to_string(c.architecture) + ", D=" + std::to_string(c.hidden_size) +
               ", L=" + std::to_string(c.num_hidden_layers) + ", H=" + std::to_string(c.num_attention_heads) +
               ", KV=" + std::to_string(c.num_key_value_heads) + ", head_dim=" + std::to_string(c.head_dim) +
               ", V=" + std::to_string(c.vocab_size) + ")";
      });
}

void bind_model(py::module_& m) {
  py::class_<Model>(m, "Model", "A loaded model: config + weights, fp32 or a GGUF's blocks (model/weights.hpp)")
      .def_readonly("config", &Model::config)
      .def("parameter_count", [](const Model& model) { return parameter_count(model); },
           "Learned numbers in the model, tied matrices counted once")
      .def("embed_tokens", [](const Model& model) { return to_numpy(model.weights.embed_tokens.dequantized()); },
           "A copy of the token embedding table [V, D], in fp32")
      .def("linear_formats", [](const Model& model) { return linear_formats(model); },
           "How the projections are held: 'F32', or block types such as 'Q4_1+Q8_0' (chapter 08)")
      .def("linear_bytes", [](const Model& model) { return linear_bytes(model); },
           "Bytes of the projections: what one decode step reads");
  m.def(
      "load_model",
      [](const std::filesystem::path& p, bool dequantize, bool check_tensors) {
        return load_model(p, {.check_tensors = check_tensors, .dequantize = dequantize});
      },
      "path"_a, "dequantize"_a = false, "check_tensors"_a = false,
      "Loads an HF folder, a .gguf file or a llama2.c .bin (io/load.hpp); dequantize=True widens a GGUF's "
      "Q8_0/Q4_0/Q4_1/Q5_0/Q4_K/Q6_K weights to fp32 instead of computing on the blocks");

  py::class_<ForwardOutput>(m, "ForwardOutput", "HF's CausalLMOutput, without the batch dimension")
      .def_readonly("logits", &ForwardOutput::logits, "[T, V]")
      .def_readonly("hidden_states", &ForwardOutput::hidden_states,
                    "L + 1 arrays [T, D]: [0] embeddings, [l] after layer l-1, [L] after the final norm")
      .def_readonly("attentions", &ForwardOutput::attentions, "L arrays [H, T, S], softmax weights");
  m.def("forward", &run_forward, "model"_a, "ids"_a, "start_pos"_a = 0, "cache"_a = nullptr,
        "output_hidden_states"_a = false, "output_attentions"_a = false, "device"_a = "cpu",
        "Runs the model on ids at positions start_pos.. (model/transformer.hpp). Without a cache it "
        "recomputes everything; with one it appends this chunk's K and V. device=\"cuda\": chapter 07's "
        "CUDA forward (the whole sequence, no cache, no traces), where built and a GPU is present.");
}

void bind_cache(py::module_& m) {
  // Any variant behind the one contract (cache/kv_cache.hpp), made by make_kv_cache (cache/make_kv_cache.hpp).
  py::class_<KVCache>(m, "KVCache", "The KV cache: per layer K and V [positions, kv_heads * head_dim] (cache/kv_cache.hpp)")
      .def(py::init([](const ModelConfig& c, int max_seq_len, const std::string& kind, int block, int pool_blocks,
                       int window, int sinks) {
             return make_kv_cache(c, {.kind = kind, .block = block, .pool_blocks = pool_blocks, .window = window,
                                      .sinks = sinks}, max_seq_len);
           }),
           "config"_a, "max_seq_len"_a, "kind"_a = "contiguous", "block"_a = 16, "pool_blocks"_a = 0, "window"_a = 0,
           "sinks"_a = 4, "make_kv_cache: kind is contiguous, paged, fp16, int8 or window")
      .def_property_readonly("kind", &KVCache::kind)
      .def_property_readonly("length", &KVCache::length)
      .def_property_readonly("capacity", &KVCache::capacity)
      .def_property_readonly("max_seq_len", &KVCache::capacity, "the same as capacity")
      .def("keys", [](const KVCache& c, int layer) { return to_numpy(gather(c.view(layer)).keys); },
           "layer"_a, "The cached keys [n, kv_dim] (after RoPE), gathered from the cache's view")
      .def("values", [](const KVCache& c, int layer) { return to_numpy(gather(c.view(layer)).values); },
           "layer"_a, "The cached values [n, kv_dim]")
      .def("positions", [](const KVCache& c, int layer) { return gather(c.view(layer)).positions; }, "layer"_a,
           "The position of each row of keys(layer) and values(layer)")
      .def("clear", &KVCache::clear)
      .def("bytes", &KVCache::bytes, "Memory allocated (contiguous: 2 * layers * max_seq_len * kv_dim * 4)")
      .def("bytes_used", &KVCache::bytes_used, "Memory holding the positions fed so far")
      .def_static("bytes_per_token", &KVCache::bytes_per_token, "config"_a,
                  "2 * layers * kv_heads * head_dim * 4 (fp32 K and V)");
  // Chapter 09's paged cache on a pool several caches can share (prefix caching across prompts).
  py::class_<BlockPool, std::shared_ptr<BlockPool>>(m, "BlockPool", "Blocks of positions for paged caches (cache/block_pool.hpp)")
      .def(py::init<const ModelConfig&, int, int>(), "config"_a, "block_size"_a, "num_blocks"_a)
      .def_property_readonly("block_size", &BlockPool::block_size)
      .def_property_readonly("num_blocks", &BlockPool::num_blocks)
      .def_property_readonly("num_free", &BlockPool::num_free)
      .def_property_readonly("num_allocated", &BlockPool::num_allocated)
      .def_property_readonly("num_published", &BlockPool::num_published)
      .def("bytes", &BlockPool::bytes);
  py::class_<PagedKVCache, KVCache>(m, "PagedKVCache", "One sequence's block table into a BlockPool (cache/paged.hpp)")
      .def(py::init<const ModelConfig&, std::shared_ptr<BlockPool>>(), "config"_a, "pool"_a)
      .def_property_readonly("block_table", &PagedKVCache::block_table)
      .def("reuse_prefix", [](PagedKVCache& c, const std::vector<int>& prompt) { return c.reuse_prefix(prompt); },
           "prompt"_a, "Attaches the pool's blocks holding the prompt's start; returns the positions attached");
  // The same formula for a model described only by its published numbers.
  m.def(
      "kv_cache_bytes_per_token",
      [](int num_hidden_layers, int num_key_value_heads, int head_dim) {
        ModelConfig c;
        c.num_hidden_layers = num_hidden_layers;
        c.num_key_value_heads = num_key_value_heads;
        c.head_dim = head_dim;
        return KVCache::bytes_per_token(c);
      },
      "num_hidden_layers"_a, "num_key_value_heads"_a, "head_dim"_a,
      "KVCache.bytes_per_token for a config given by its numbers (fp32, as kvlm stores it)");
}

void bind_rope(py::module_& m) {
  m.def(
      "rope_frequencies",
      [](const ModelConfig& c, bool sliding_layer) {
        const RopeFrequencies f = rope_frequencies(c, sliding_layer);
        return py::make_tuple(py::module_::import("numpy").attr("array")(f.inv_freq), f.attention_factor);
      },
      "config"_a, "sliding_layer"_a = false,
      "(inv_freq [head_dim/2], attention_factor) with the config's rope_scaling applied (model/rope.hpp)");
  m.def(
      "rope_angles",
      [](int head_dim, float theta, int start_pos, int num_positions) {
        const RopeAngles a = rope_angles(head_dim, theta, start_pos, num_positions);
        return py::make_tuple(to_numpy(a.cos), to_numpy(a.sin));
      },
      "head_dim"_a, "theta"_a, "start_pos"_a, "num_positions"_a,
      "(cos, sin), each [T, head_dim/2]: angle = pos * theta^(-2i/head_dim) (model/rope.hpp)");
  m.def(
      "apply_rope",
      [](const FloatArray& x, int num_heads, int head_dim, const FloatArray& cos, const FloatArray& sin,
         RopeLayout layout) {
        Matrix rotated = to_matrix(x);
        apply_rope(rotated, num_heads, head_dim, RopeAngles{to_matrix(cos), to_matrix(sin)}, layout);
        return to_numpy(rotated);
      },
      "x"_a, "num_heads"_a, "head_dim"_a, "cos"_a, "sin"_a, "layout"_a = RopeLayout::kHalfSplit,
      "Returns a rotated copy of x [T, num_heads * head_dim]");
}

void bind_generate(py::module_& m) {
  py::class_<Generation>(m, "Generation", "The new tokens and their timings (generate/generate.hpp)")
      .def_readonly("tokens", &Generation::tokens)
      .def_property_readonly("step_ms", [](const Generation& g) { return g.stats.step_ms; },
                             "ms per new token; [0] is the prefill")
      .def_property_readonly("prefill_ms", [](const Generation& g) { return g.stats.prefill_ms; })
      .def_property_readonly("decode_ms", [](const Generation& g) { return g.stats.decode_ms; })
      .def_property_readonly("kv_cache_bytes", [](const Generation& g) { return g.stats.kv_cache_bytes; })
      .def_property_readonly("kv_cache_bytes_used", [](const Generation& g) { return g.stats.kv_cache_bytes_used; })
      .def_property_readonly("reused_positions", [](const Generation& g) { return g.stats.reused_positions; },
                             "prompt positions the cache already held (prefix caching)");
  m.def(
      "generate_naive",
      [](const Model& model, const std::vector<int>& prompt, int max_new_tokens, float temperature, int top_k,
         float top_p, uint64_t seed, const std::vector<int>& stop_token_ids, bool stop_at_eos) {
        return run_generation(false, model, prompt, max_new_tokens, temperature, top_k, top_p, seed, stop_token_ids,
                              stop_at_eos);
      },
      "model"_a, "prompt"_a, "max_new_tokens"_a = 32, "temperature"_a = 0.0f, "top_k"_a = 0, "top_p"_a = 1.0f,
      "seed"_a = 0, "stop_token_ids"_a = std::vector<int>{}, "stop_at_eos"_a = true,
      "Chapter 05: every step recomputes the whole sequence (stops at EOS unless stop_at_eos=False,\n"
      "and at any of stop_token_ids)");
  m.def(
      "generate_cached",
      [](const Model& model, const std::vector<int>& prompt, int max_new_tokens, float temperature, int top_k,
         float top_p, uint64_t seed, const std::vector<int>& stop_token_ids, bool stop_at_eos,
         const std::string& kv_cache, int kv_block, int kv_window, int kv_sinks, KVCache* cache) {
        const KVCacheOptions kv{.kind = kv_cache, .block = kv_block, .window = kv_window, .sinks = kv_sinks};
        check_kv_cache_options(kv);
        return run_generation(true, model, prompt, max_new_tokens, temperature, top_k, top_p, seed, stop_token_ids,
                              stop_at_eos, kv, cache);
      },
      "model"_a, "prompt"_a, "max_new_tokens"_a = 32, "temperature"_a = 0.0f, "top_k"_a = 0, "top_p"_a = 1.0f,
      "seed"_a = 0, "stop_token_ids"_a = std::vector<int>{}, "stop_at_eos"_a = true, "kv_cache"_a = "contiguous",
      "kv_block"_a = 16, "kv_window"_a = 0, "kv_sinks"_a = 4, "cache"_a = nullptr,
      "Chapter 06: prefill once into a KV cache, then one token per step (stops at EOS unless\n"
      "stop_at_eos=False, and at any of stop_token_ids). kv_cache picks the variant (contiguous, paged,\n"
      "fp16, int8, window; chapter 09) with kv_block, kv_window, kv_sinks; or pass cache= (kept, and\n"
      "possibly holding the prompt's start already: a PagedKVCache on a shared BlockPool reuses prefixes).");
  // The keywords of HF's model.generate: greedy unless do_sample; stops at the model's EOS.
  m.def(
      "generate",
      [](const Model& model, const std::vector<int>& input_ids, int max_new_tokens, bool do_sample, float temperature,
         int top_k, float top_p, uint64_t seed, bool use_cache) {
        return run_generation(use_cache, model, input_ids, max_new_tokens, do_sample ? temperature : 0.0f,
                              do_sample ? top_k : 0, do_sample ? top_p : 1.0f, seed, {}, /*stop_at_eos=*/true);
      },
      "model"_a, "input_ids"_a, "max_new_tokens"_a = 20, "do_sample"_a = false, "temperature"_a = 1.0f,
      "top_k"_a = 50, "top_p"_a = 1.0f, "seed"_a = 0, "use_cache"_a = true,
      "Generate as HF's model.generate does: greedy unless do_sample (then temperature, top_k, top_p as HF's\n"
      "defaults: 1.0, 50, 1.0), stopping at the model's EOS. Returns a Generation (.tokens: the new ids).");
}

void bind_tokenizer(py::module_& m) {
  py::class_<Tokenizer>(m, "Tokenizer", "Text <-> ids (tokenizer/tokenizer.hpp)")
      .def("encode", &Tokenizer::encode, "text"_a, "add_special_tokens"_a = false)
      .def("decode", [](const Tokenizer& t, const std::vector<int>& ids) { return t.decode(ids); }, "ids"_a)
      .def("token", &Tokenizer::token, "id"_a, "The vocabulary entry as stored, e.g. 'Ġthe'")
      .def("token_to_id", &Tokenizer::token_to_id, "token"_a)
      .def_property_readonly("vocab_size", &Tokenizer::vocab_size)
      .def_property_readonly("bos_id", &Tokenizer::bos_id)
      .def_property_readonly("eos_id", &Tokenizer::eos_id);
  m.def("load_tokenizer", &load_tokenizer, "path"_a,
        "tokenizer.json, tokenizer.model, llama2.c tokenizer.bin, or a folder holding one");
}

void bind_reference(py::module_& m) {
  py::class_<ReferencePrompt>(m, "ReferencePrompt", "One prompt of an HF reference file (verify/reference.hpp)")
      .def_readonly("name", &ReferencePrompt::name)
      .def_readonly("input_ids", &ReferencePrompt::input_ids)
      .def_property_readonly("logits", [](const ReferencePrompt& r) { return to_numpy(r.logits); })
      .def_property_readonly("topk_values", [](const ReferencePrompt& r) { return to_numpy(r.topk_values); })
      .def_readonly("topk_ids", &ReferencePrompt::topk_ids)
      .def_property_readonly("hidden", [](const ReferencePrompt& r) {
        std::vector<py::array_t<float>> out;
        for (const Matrix& h : r.hidden) out.push_back(to_numpy(h));
        return out;
      })
      .def_readonly("greedy", &ReferencePrompt::greedy)
      .def_readonly("greedy_margin", &ReferencePrompt::greedy_margin);
  m.def("read_reference", &read_reference, "path"_a);

  py::class_<PromptComparison>(m, "PromptComparison", "What `kvlm compare` reports for one prompt")
      .def_readonly("name", &PromptComparison::name)
      .def_readonly("max_logit_diff", &PromptComparison::max_logit_diff)
      .def_readonly("max_hidden_diff", &PromptComparison::max_hidden_diff)
      .def_readonly("first_bad_layer", &PromptComparison::first_bad_layer)
      .def_readonly("first_bad_position", &PromptComparison::first_bad_position)
      .def_readonly("greedy_checked", &PromptComparison::greedy_checked)
      .def_readonly("greedy_agree", &PromptComparison::greedy_agree)
      .def_property_readonly("ok", &PromptComparison::ok);
  m.def("compare_prompt", [](const Model& model, const ReferencePrompt& ref) { return compare_prompt(model, ref); },
        "model"_a, "reference"_a, "Runs the model on the prompt and measures it against the reference");
}

}  // namespace
}  // namespace kvlm::python

PYBIND11_MODULE(kvlm, m) {
  using namespace kvlm::python;
  m.doc() = "kvlm: a transformer LM and its KV cache in readable C++20, for notebooks";
  m.attr("__version__") = KVLM_VERSION;
  py::register_exception<kvlm::Error>(m, "Error", PyExc_RuntimeError);
  bind_config(m);  // first: later signatures use RopeLayout and ModelConfig
  bind_model(m);
  bind_cache(m);
  bind_rope(m);
  bind_generate(m);
  bind_tokenizer(m);
  bind_reference(m);
}
