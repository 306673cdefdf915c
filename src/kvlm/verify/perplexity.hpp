// Perplexity of a model over a token sequence, and how far its next-token distributions are from a
// base model's (mean KL divergence, top-1 agreement), measured as llama.cpp's llama-perplexity (and
// its --kl-divergence) measures them. Not a tokenizer or a file reader: it takes ids; not a second
// forward: every window runs through model/'s `forward`.
//
// The method (llama-perplexity's): cut the ids into non-overlapping windows of `ctx` tokens (a tail
// shorter than a window is dropped), run each window from position 0 in one forward pass, and score
// only its second half: the logits at positions ctx/2 .. ctx-2 predicting the tokens at ctx/2+1 ..
// ctx-1, so ctx - 1 - ctx/2 tokens per window (255 of 512), each seen with at least ctx/2 tokens of
// context. Perplexity = exp(mean negative log-likelihood) over every scored token, in nats.
#pragma once

#include <functional>
#include <optional>
#include <span>

#include "kvlm/model/weights.hpp"

namespace kvlm {

struct PerplexityOptions {
  int ctx = 512;                           // tokens per window (llama.cpp's -c / n_ctx)
  std::optional<int> window_start_token;   // written over each window's first token: BOS, where the
                                           // tokenizer adds one (llama-perplexity does the same)
  std::function<void(int done, int windows)> on_window;  // progress, after each window
};

// Perplexity over the scored tokens.
struct PerplexityScore {
  int tokens_scored = 0;
  double mean_nll = 0;           // nats per token
  double perplexity = 0;         // exp(mean_nll)
  double perplexity_stderr = 0;  // perplexity x the standard error of mean_nll (llama.cpp's "+/-")
};

// The model against a base model (typically the F32 file it was quantized from), over the same positions.
struct Divergence {
  PerplexityScore base;         // the base model's own perplexity
  double mean_kl = 0;           // mean over positions of KL(base || model) = sum_i p_base(i) log(p_base(i) / p_model(i)), nats
  double top1_agreement = 0;    // fraction of positions where both models' most likely token is the same
};

struct PerplexityReport {
  int windows = 0;
  int first_scored_position = 0;  // ctx / 2
  PerplexityScore score;
  std::optional<Divergence> vs_base;  // when a base model was given
};

// Throws kvlm::Error when ctx < 2, ctx exceeds either model's context, ids hold fewer than two
// windows (llama-perplexity's rule: 2 x ctx tokens), or the base model's vocabulary differs.
PerplexityReport perplexity(const Model& model, std::span<const int> ids, const PerplexityOptions& options,
                            const Model* base = nullptr);

}  // namespace kvlm
