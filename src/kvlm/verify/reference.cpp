// Reference files and the comparison behind `kvlm compare`; see reference.hpp.
#include "kvlm/verify/reference.hpp"

#include <cmath>

#include "kvlm/error.hpp"
#include "kvlm/generate/generate.hpp"
#include "kvlm/io/safetensors.hpp"
#include "kvlm/model/transformer.hpp"
#include "kvlm/verify/finite.hpp"

namespace kvlm {
namespace {

std::vector<int> to_ints(const std::vector<int64_t>& v) { return {v.begin(), v.end()}; }

}  // namespace

std::vector<ReferencePrompt> read_reference(const std::filesystem::path& path) {
  const SafetensorsFile file(path);
  std::vector<ReferencePrompt> prompts;
  // Prompts are p0, p1, ... for as long as their input_ids exist.
  for (int i = 0;; ++i) {
    ReferencePrompt p;
    p.name = std::string("p").append(std::to_string(i));  // (not "p" + ...: GCC 12 warns falsely)
    const std::string pre = p.name + ".";
    if (!file.contains(pre + "input_ids")) break;
    p.input_ids = to_ints(file.read_ints(pre + "input_ids"));
    if (file.contains(pre + "logits")) p.logits = file.read(pre + "logits").data;
    if (file.contains(pre + "logits_topk_values")) {
      p.topk_values = file.read(pre + "logits_topk_values").data;
      const auto ids = file.read_ints(pre + "logits_topk_ids");
      const size_t k = static_cast<size_t>(p.topk_values.cols());
      for (size_t t = 0; t < static_cast<size_t>(p.topk_values.rows()); ++t)
        p.topk_ids.emplace_back(ids.begin() + t * k, ids.begin() + (t + 1) * k);
    }
    for (int l = 0; file.contains(pre + "hidden" + std::to_string(l)); ++l)
      p.hidden.push_back(file.read(pre + "hidden" + std::to_string(l)).data);
    if (file.contains(pre + "greedy")) p.greedy = to_ints(file.read_ints(pre + "greedy"));
    if (file.contains(pre + "greedy_margin")) {
      const Matrix m = file.read(pre + "greedy_margin").data;
      p.greedy_margin.assign(m.data(), m.data() + m.size());
    }
    prompts.push_back(std::move(p));
  }
  if (prompts.empty()) throw Error(path.filename().string() + " holds no prompts (expected p0.input_ids, ...)");
  return prompts;
}

PromptComparison compare_prompt(const Decoder& decoder, const ReferencePrompt& ref, const Tolerance& tol) {
  const Model& model = decoder.model();
  PromptComparison r;
  r.name = ref.name;
  r.num_tokens = static_cast<int>(ref.input_ids.size());

  // 1. One prefill with every hidden state recorded (naive forward: no cache involved).
  ForwardTrace trace;
  const Matrix logits = decoder.forward(ref.input_ids, 0, nullptr, decoder.traces() ? &trace : nullptr, 0);
  check_finite_logits(model, ref.input_ids, logits);  // NaN or Inf is an error, not a large difference
  if (ref.logits.size()) {
    if (ref.logits.rows() != logits.rows() || ref.logits.cols() != logits.cols())
      throw Error(ref.name + ": the reference logits are [" + std::to_string(ref.logits.rows()) + ", " +
                  std::to_string(ref.logits.cols()) + "] but the model gives [" + std::to_string(logits.rows()) +
                  ", " + std::to_string(logits.cols()) + "]: is it the same model?");
    r.max_logit_diff = (logits - ref.logits).cwiseAbs().maxCoeff();
  }
  for (size_t t = 0; t < ref.topk_ids.size() && t < static_cast<size_t>(logits.rows()); ++t)
    for (size_t j = 0; j < ref.topk_ids[t].size(); ++j) {
      const int id = ref.topk_ids[t][j];
      if (id < 0 || id >= logits.cols()) throw Error(ref.name + ": a reference top-k id is outside the vocabulary");
      r.max_logit_diff = std::max(r.max_logit_diff, std::abs(logits(t, id) - ref.topk_values(t, j)));
    }
  r.logits_ok = r.max_logit_diff <= tol.logits;

  // 2. Hidden states, layer by layer: the first one off the reference is where to look.
  r.hidden_checked = !ref.hidden.empty() && !trace.hidden_states.empty();
  for (size_t l = 0; l < ref.hidden.size() && l < trace.hidden_states.size(); ++l) {
    const Matrix& ours = trace.hidden_states[l];
    const Matrix& theirs = ref.hidden[l];
    if (ours.rows() != theirs.rows() || ours.cols() != theirs.cols())
      throw Error(ref.name + ": hidden state " + std::to_string(l) + " has a different shape in the reference");
    const Matrix diff = (ours - theirs).cwiseAbs();
    r.max_hidden_diff = std::max(r.max_hidden_diff, diff.maxCoeff());
    for (Eigen::Index t = 0; t < diff.rows() && !r.first_bad_layer; ++t)
      if (diff.row(t).maxCoeff() > tol.hidden + tol.hidden_relative * theirs.row(t).cwiseAbs().maxCoeff()) {
        r.first_bad_layer = static_cast<int>(l);
        r.first_bad_position = static_cast<int>(t);
      }
  }

  // 3. The greedy continuation, with the KV cache, token for token.
  if (!ref.greedy.empty()) {
    GenerationConfig config;
    config.max_new_tokens = static_cast<int>(ref.greedy.size());
    config.stop_at_eos = false;  // HF's greedy references run their full length, past any EOS
    config.on_logits = [&model](std::span<const int> sequence, const Matrix& step_logits) {
      check_finite_logits(model, sequence, step_logits);
    };
    const Generation g = generate_cached(decoder, ref.input_ids, config);
    r.greedy_checked = static_cast<int>(ref.greedy.size());
    while (r.greedy_agree < r.greedy_checked && g.tokens[r.greedy_agree] == ref.greedy[r.greedy_agree]) ++r.greedy_agree;
    if (r.greedy_agree < r.greedy_checked) {
      r.greedy_first_diff = r.greedy_agree;
      r.greedy_diff_is_near_tie = static_cast<size_t>(r.greedy_agree) < ref.greedy_margin.size() &&
                                  ref.greedy_margin[r.greedy_agree] < tol.greedy_margin;
    }
  }
  return r;
}

PromptComparison compare_prompt(const Model& model, const ReferencePrompt& ref, const Tolerance& tol) {
  return compare_prompt(CpuDecoder(model), ref, tol);
}

}  // namespace kvlm
