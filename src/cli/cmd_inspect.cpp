// kvlm inspect: a model's config, parameter count and KV cache size per token and at a context.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/kv_cache_flags.hpp"
#include "kvlm/cache/kv_cache.hpp"
#include "kvlm/cache/make_kv_cache.hpp"
#include "kvlm/io/load.hpp"

namespace kvlm::cli {
namespace {

// A float as the config file wrote it (1e-05), not as its binary value prints in double
// (9.999999747378752e-06): the shortest decimal that reads back as the same float.
double as_written(float value) {
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof(text), value);
  return ec == std::errc() ? std::strtod(std::string(text, end).c_str(), nullptr) : value;
}

struct InspectArgs {
  std::string model;
  int context = 0;
  bool json = false;
  KVCacheOptions kv;  // the paged and window rows of the variants table
};

// Every KV cache variant's bytes at `context` positions, by arithmetic (make_kv_cache.hpp).
nlohmann::ordered_json variants_table(const ModelConfig& c, const KVCacheOptions& flags, int context) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const std::string& kind : kv_cache_kinds()) {
    KVCacheOptions o = flags;
    o.kind = kind;
    std::string note;
    if (kind == "paged") note = "blocks of " + std::to_string(o.block);
    if (kind == "window") note = std::to_string(o.sinks) + " sinks + the last " + std::to_string(o.window);
    rows.push_back({{"kind", kind}, {"bytes", kv_cache_bytes_at(c, o, context)}, {"note", note}});
  }
  return rows;
}

void run(const InspectArgs& a) {
  const Model model = load_model(a.model);
  const ModelConfig& c = model.config;
  const int context = a.context > 0 ? a.context : c.max_position_embeddings;
  const size_t per_token = KVCache::bytes_per_token(c);
  // A window-aware cache keeps only the last sliding_window positions of a sliding layer
  // (kvlm's contiguous cache keeps all of them and masks by position).
  const size_t per_layer_token = per_token / c.num_hidden_layers;
  size_t window_bytes = 0;
  int sliding_layers = 0;
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const int window = c.layer_window(l);
    sliding_layers += window > 0;
    window_bytes += per_layer_token * static_cast<size_t>(window > 0 ? std::min(window, context) : context);
  }
  nlohmann::ordered_json j = {
      {"architecture", to_string(c.architecture)},
      {"hidden_size", c.hidden_size},
      {"num_hidden_layers", c.num_hidden_layers},
      {"num_attention_heads", c.num_attention_heads},
      {"num_key_value_heads", c.num_key_value_heads},
      {"head_dim", c.head_dim},
      {"intermediate_size", c.intermediate_size},
      {"vocab_size", c.vocab_size},
      {"max_position_embeddings", c.max_position_embeddings},
      {"rope_layout", to_string(c.rope_layout)},
      {"rope_theta", as_written(c.rope_theta)},
      {"rope_scaling", to_string(c.rope_scaling.rope_type)},
      {"norm_eps", as_written(c.norm_eps)},
      {"tie_word_embeddings", c.tie_word_embeddings},
      {"parameters", parameter_count(model)},
      {"kv_cache_bytes_per_token", per_token},
      {"context", context},
      {"kv_cache_bytes", per_token * context}};
  if (sliding_layers > 0) {
    j["sliding_window"] = c.sliding_window;
    j["sliding_layers"] = sliding_layers;
    j["kv_cache_bytes_window_aware"] = window_bytes;
  }
  // --device cuda (chapter 07) holds every weight in fp32 and a contiguous fp32 cache of `context`
  // positions in GPU memory; upload refuses a model whose weights exceed the GPU's free memory.
  const size_t gpu_weights = static_cast<size_t>(parameter_count(model)) * sizeof(float);
  j["gpu_bytes_weights"] = gpu_weights;
  j["gpu_bytes"] = gpu_weights + per_token * context;
  j["kv_cache_variants"] = variants_table(c, a.kv, context);
  if (a.json) {
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  for (const auto& [key, value] : j.items())
    if (key != "kv_cache_variants") std::printf("%-26s %s\n", key.c_str(), value.dump().c_str());
  std::printf("KV cache = 2 (K and V) x %d layers x %d kv heads x %d head_dim x 4 bytes = %zu bytes per token;\n"
              "at %d tokens: %.2f MiB\n",
              c.num_hidden_layers, c.num_key_value_heads, c.head_dim, per_token, context,
              per_token * static_cast<double>(context) / (1 << 20));
  std::printf("GPU memory for --device cuda: %.2f MiB of fp32 weights + %.2f MiB of KV cache = %.2f MiB\n",
              gpu_weights / double(1 << 20), per_token * static_cast<double>(context) / (1 << 20),
              j["gpu_bytes"].get<size_t>() / double(1 << 20));
  if (sliding_layers > 0)
    std::printf("%d of %d layers slide over %d positions: a window-aware cache would need %.2f MiB at %d tokens\n",
                sliding_layers, c.num_hidden_layers, c.sliding_window, window_bytes / double(1 << 20), context);
  std::printf("\nKV cache variants at %d tokens (--kv-cache):\n", context);
  for (const auto& row : j["kv_cache_variants"])
    std::printf("  %-11s %14zu bytes  %10.2f MiB  %s\n", row["kind"].get<std::string>().c_str(), row["bytes"].get<size_t>(),
                row["bytes"].get<size_t>() / double(1 << 20), row["note"].get<std::string>().c_str());
}

}  // namespace

void add_inspect(CLI::App& app) {
  auto a = std::make_shared<InspectArgs>();
  auto* cmd = app.add_subcommand("inspect", "Print a model's config, parameter count and KV cache size");
  cmd->add_option("-m,--model", a->model, "HF folder, .gguf or llama2.c .bin")->required();
  cmd->add_option("--context", a->context, "context length for the KV cache size (default: the model's)");
  cmd->add_flag("--json", a->json, "print one JSON object");
  a->kv.window = 1024;
  cmd->add_option("--kv-block", a->kv.block, "the variants table: paged block size")->capture_default_str();
  cmd->add_option("--kv-window", a->kv.window, "the variants table: window size")->capture_default_str();
  cmd->add_option("--kv-sinks", a->kv.sinks, "the variants table: attention sinks")->capture_default_str();
  cmd->callback([a] {
    for (const char* kind : {"paged", "window"}) {
      KVCacheOptions o = a->kv;
      o.kind = kind;
      check_kv_cache_flags("inspect", o);
    }
    run(*a);
  });
}

}  // namespace kvlm::cli
