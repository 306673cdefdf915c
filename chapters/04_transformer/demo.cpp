// Chapter 04 demo: the whole forward pass on a prompt: the residual stream's norm after every layer,
// how far each layer is from HF's (when the model comes with a reference file), and the most
// likely next tokens. Not a generator: one forward pass, one prediction (chapter 05 loops).
//
//   ch04_demo [MODEL]   MODEL: HF folder, .gguf or llama2.c .bin (default: SmolLM2, else a fixture)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <vector>

#include "common/demo.hpp"
#include "kvlm/model/transformer.hpp"

using namespace kvlm;

namespace {

constexpr int kTopTokens = 5;

// HF's hidden states for the same prompt, when the model folder has a reference file made from it.
std::vector<Matrix> reference_hidden(const chapters::DemoModel& d, const std::vector<int>& ids) {
  namespace fs = std::filesystem;
  const fs::path ref = (fs::is_directory(d.path) ? d.path : d.path.parent_path()) / "reference.safetensors";
  if (!fs::exists(ref)) return {};
  for (const ReferencePrompt& p : read_reference(ref))
    if (p.input_ids == ids) return p.hidden;
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const chapters::DemoModel d = chapters::load_demo_model(std::min(argc, 2), argv);
    const ModelConfig& c = d.model.config;
    const std::vector<int> ids = chapters::demo_prompt(d, "The capital of France is");
    std::printf("prompt: %zu tokens:", ids.size());
    for (int id : ids) std::printf(" %s", chapters::show_token(d, id).c_str());
    std::printf("\nparameters: %.2f M\n\n", static_cast<double>(parameter_count(d.model)) / 1e6);

    ForwardTrace trace;
    const Matrix logits = forward(d.model, ids, 0, nullptr, &trace);  // [T, V]
    const std::vector<Matrix> hf = reference_hidden(d, ids);

    std::printf("%-28s %14s %14s%s\n", "hidden state [T, D]", "mean |x_t|", "|x_last|",
                hf.empty() ? "" : "   max |kvlm - HF|");
    for (size_t l = 0; l < trace.hidden_states.size(); ++l) {
      const Matrix& x = trace.hidden_states[l];
      char name[96];
      if (l == 0) std::snprintf(name, sizeof(name), "0: embeddings");
      else std::snprintf(name, sizeof(name), "%zu: after layer %zu%s", l, l - 1,
                         l + 1 == trace.hidden_states.size() ? " + final norm" : "");
      std::printf("%-28s %14.4f %14.4f", name, x.rowwise().norm().mean(), x.row(x.rows() - 1).norm());
      if (l < hf.size()) std::printf("   %.2e", (x - hf[l]).cwiseAbs().maxCoeff());
      std::printf("\n");
    }

    // The last row of the logits scores every vocabulary entry as the next token.
    const Eigen::RowVectorXf last = logits.row(logits.rows() - 1);
    const Eigen::RowVectorXf probs = (last.array() - last.maxCoeff()).exp().matrix();
    const float z = probs.sum();
    std::vector<int> order(static_cast<size_t>(last.size()));
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + kTopTokens, order.end(),
                      [&](int a, int b) { return last(a) > last(b); });
    std::printf("\nlogits [%ld, %ld] (%s head); top %d next tokens after the last position:\n",
                static_cast<long>(logits.rows()), static_cast<long>(logits.cols()),
                c.tie_word_embeddings ? "tied: x E^T" : "lm_head", kTopTokens);
    for (int k = 0; k < kTopTokens; ++k)
      std::printf("  %-16s id %6d  logit %8.4f  p %.4f\n", chapters::show_token(d, order[k]).c_str(), order[k],
                  last(order[k]), probs(order[k]) / z);
  } catch (const std::exception& e) {
    std::cerr << "ch04_demo: " << e.what() << "\n";
    return 1;
  }
}
