// Generation trace; see trace.hpp.
#include "kvlm/generate/trace.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <fstream>

#include "kvlm/cache/kv_cache.hpp"
#include "kvlm/error.hpp"

namespace kvlm {
namespace {

// n indices out of 0..count-1, evenly spaced, first and last included (n <= 0 or n >= count: all).
std::vector<int> spread(int count, int n) {
  std::vector<int> out;
  if (n <= 0 || n >= count) n = count;
  for (int i = 0; i < n; ++i) out.push_back(n == 1 ? 0 : static_cast<int>(std::lround(double(i) * (count - 1) / (n - 1))));
  return out;
}

// Attention weights kept to 4 decimals: 7 characters each instead of ~12 (a row's sum moves by at most S * 5e-5).
double rounded(float p) { return std::round(double(p) * 1e4) / 1e4; }

}  // namespace

TraceWriter::TraceWriter(const Model& model, const GenerationConfig& config, const Tokenizer* tokenizer,
                         TraceOptions options)
    : tokenizer_(tokenizer) {
  const ModelConfig& c = model.config;
  layers_ = spread(c.num_hidden_layers, options.max_layers);
  const int heads = options.max_heads > 0 ? std::min(options.max_heads, c.num_attention_heads) : c.num_attention_heads;
  for (int h = 0; h < heads; ++h) heads_.push_back(h);  // the first `heads` heads
  doc_ = {{"format", kTraceFormat},
          {"version", kTraceVersion},
          {"model",
           {{"architecture", to_string(c.architecture)},
            {"num_hidden_layers", c.num_hidden_layers},
            {"num_attention_heads", c.num_attention_heads},
            {"num_key_value_heads", c.num_key_value_heads},
            {"head_dim", c.head_dim},
            {"hidden_size", c.hidden_size},
            {"vocab_size", c.vocab_size},
            {"max_position_embeddings", c.max_position_embeddings},
            {"kv_bytes_per_token", KVCache::bytes_per_token(c)}}},
          {"sampler",
           {{"temperature", config.sampler.temperature},
            {"top_k", config.sampler.top_k},
            {"top_p", config.sampler.top_p},
            {"min_p", config.sampler.min_p},
            {"repeat_penalty", config.sampler.repeat_penalty},
            {"repeat_last_n", config.sampler.repeat_last_n},
            {"seed", config.sampler.seed}}},
          {"attention_layers", layers_},
          {"attention_heads", heads_},
          {"steps", nlohmann::json::array()}};
}

void TraceWriter::set_info(const std::string& model_path, bool cached) {
  doc_["model"]["path"] = model_path;
  doc_["cache"] = cached ? "kv" : "none";
}

void TraceWriter::set_prompt(const std::string& text, std::span<const int> ids) {
  nlohmann::json tokens = nlohmann::json::array();
  for (const int id : ids) tokens.push_back(this->text(id));
  doc_["prompt"] = {{"text", text}, {"ids", std::vector<int>(ids.begin(), ids.end())}, {"tokens", tokens}};
}

std::string TraceWriter::text(int id) const {
  if (!tokenizer_) return std::to_string(id);
  const int one[] = {id};
  return tokenizer_->decode(one);
}

OnStep TraceWriter::observer() {
  return [this](const StepView& s) { add(s); };
}

void TraceWriter::add(const StepView& s) {
  const auto candidates = [&](const std::vector<SamplerView::Candidate>& top) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : top) out.push_back({{"id", c.id}, {"text", text(c.id)}, {"prob", c.prob}});
    return out;
  };
  // attention[i][j]: layer layers_[i], head heads_[j], the newest position's weights over positions 0..S-1.
  nlohmann::json attention = nlohmann::json::array();
  for (const int l : layers_) {
    nlohmann::json per_head = nlohmann::json::array();
    for (const int h : heads_) {
      const Matrix& row = s.forward.attention.at(l).at(h);  // [1, S]
      assert(row.rows() == 1 && row.cols() == s.start_pos + s.n_positions);
      std::vector<double> r(row.cols());
      for (Eigen::Index k = 0; k < row.cols(); ++k) r[k] = rounded(row(0, k));
      per_head.push_back(r);
    }
    attention.push_back(per_head);
  }
  doc_["steps"].push_back({{"step", s.step},
                           {"phase", s.step == 0 ? "prefill" : "decode"},
                           {"start_pos", s.start_pos},
                           {"n_positions", s.n_positions},
                           {"token", {{"id", s.token}, {"text", text(s.token)}}},
                           {"top_before", candidates(s.sampler.before)},
                           {"top_after", candidates(s.sampler.after)},
                           {"ms", s.ms},
                           {"cache_length", s.cache_length},
                           {"cache_bytes", s.cache_bytes},
                           {"attention", attention}});
}

void TraceWriter::write(const std::string& path) const {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw Error("cannot write the trace to " + path);
  f << doc_.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  if (!f) throw Error("cannot write the trace to " + path);
}

}  // namespace kvlm
