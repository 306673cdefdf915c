// Chapter 05, naive generation: every new token re-reads the whole sequence from scratch.
// Not efficient on purpose: this is the baseline that chapter 06's KV cache removes.
#include <algorithm>
#include <chrono>

#include "kvlm/generate/generate.hpp"
#include "kvlm/model/transformer.hpp"

namespace kvlm {

Generation generate_naive(const Decoder& decoder, std::span<const int> prompt, const GenerationConfig& config,
                          const OnToken& on_token) {
  const Model& model = decoder.model();
  check_fits_context(model, prompt.size(), config.max_new_tokens);
  Sampler sampler(config.sampler, prompt);
  Generation out;
  std::vector<int> sequence(prompt.begin(), prompt.end());

  ForwardTrace trace;  // for config.on_step only: the newest position's attention weights
  trace.keep_attention = trace.last_attention_row_only = true;
  ForwardTrace* observed = config.on_step ? &trace : nullptr;
  SamplerView view;

  for (int step = 0; step < config.max_new_tokens; ++step) {
    const auto t0 = std::chrono::steady_clock::now();
    const Matrix logits = decoder.forward(sequence, /*start_pos=*/0, /*cache=*/nullptr, observed, 0);  // [len, V]: all of it
    if (config.on_logits) config.on_logits(sequence, logits);  // may throw: kvlm generate's NaN/Inf check
    const Eigen::RowVectorXf last = logits.row(logits.rows() - 1);
    const int next = sampler.sample({last.data(), static_cast<size_t>(last.size())}, observed ? &view : nullptr);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

    (step == 0 ? out.stats.prefill_ms : out.stats.decode_ms) += ms;
    out.stats.step_ms.push_back(ms);
    if (config.on_step) {  // --trace: what this step fed, computed and chose
      const int fed = static_cast<int>(logits.rows());
      StepView seen{step, /*start_pos=*/0, fed, next, {last.data(), static_cast<size_t>(last.size())},
                    view, trace, ms};
      config.on_step(seen);
    }
    out.tokens.push_back(next);
    sequence.push_back(next);
    if (on_token) on_token(next);
    if (is_stop_token(model, config, next)) break;
  }
  return out;
}

// The CPU, as chapter 05 teaches it.
Generation generate_naive(const Model& model, std::span<const int> prompt, const GenerationConfig& config,
                          const OnToken& on_token) {
  return generate_naive(CpuDecoder(model), prompt, config, on_token);
}

}  // namespace kvlm
