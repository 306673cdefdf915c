// kvlm compare: run the model on a reference file's prompts and say where it departs from HF.
// Exits 1 when a prompt is outside tolerance (the tolerances are in kvlm/verify/reference.hpp).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "kvlm/error.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm::cli {
namespace {

struct CompareArgs {
  std::string model, reference;
  bool json = false;
  LoadOptions load;  // --check-tensors, --dequantize
  int threads = 0;
  std::string device = "cpu";
};

nlohmann::json to_json(const PromptComparison& c) {
  auto opt = [](const std::optional<int>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {{"prompt", c.name},
          {"tokens", c.num_tokens},
          {"max_logit_diff", c.max_logit_diff},
          {"logits_ok", c.logits_ok},
          {"max_hidden_diff", c.max_hidden_diff},
          {"hidden_checked", c.hidden_checked},
          {"first_bad_layer", opt(c.first_bad_layer)},
          {"first_bad_position", opt(c.first_bad_position)},
          {"greedy_checked", c.greedy_checked},
          {"greedy_agree", c.greedy_agree},
          {"greedy_first_diff", opt(c.greedy_first_diff)},
          {"greedy_diff_is_near_tie", c.greedy_diff_is_near_tie},
          {"ok", c.ok()}};
}

void run(const CompareArgs& a) {
  set_threads(a.threads);
  const Model model = load_model(a.model, a.load);
  const std::unique_ptr<Decoder> decoder = make_decoder(a.device, model);
  Tolerance tol;
  if (a.device == "cuda") tol.logits = kGpuLogitTolerance;
  bool all_ok = true;
  nlohmann::json results = nlohmann::json::array();
  for (const ReferencePrompt& ref : read_reference(a.reference)) {
    progress("[kvlm] comparing " + ref.name + ": " + std::to_string(ref.input_ids.size()) + " tokens, " +
             std::to_string(ref.greedy.size()) + " greedy steps ...");
    const PromptComparison c = compare_prompt(*decoder, ref, tol);
    progress("");
    all_ok = all_ok && c.ok();
    if (a.json) {
      results.push_back(to_json(c));
      continue;
    }
    std::printf("%s (%d tokens): max |logit diff| %.3g %s; ", c.name.c_str(), c.num_tokens, c.max_logit_diff,
                c.logits_ok ? "ok" : "TOO LARGE");
    if (!c.hidden_checked)
      std::printf("hidden states not checked%s; ", decoder->traces() ? " (none in the reference)" : " on the GPU");
    else if (c.first_bad_layer)
      std::printf("hidden states depart at layer %d, position %d; ", *c.first_bad_layer, *c.first_bad_position);
    else
      std::printf("hidden states ok (max diff %.3g); ", c.max_hidden_diff);
    if (!c.greedy_first_diff)
      std::printf("greedy %d/%d identical\n", c.greedy_agree, c.greedy_checked);
    else
      std::printf("greedy differs at step %d%s\n", *c.greedy_first_diff,
                  c.greedy_diff_is_near_tie ? " (a near tie in the reference: allowed)" : "");
  }
  if (a.json)
    std::printf("%s\n", nlohmann::json({{"ok", all_ok},
                                        {"tolerance", {{"logits", tol.logits}, {"hidden", tol.hidden},
                                                       {"hidden_relative", tol.hidden_relative},
                                                       {"greedy_margin", tol.greedy_margin}}},
                                        {"prompts", results}}).dump().c_str());
  if (!all_ok) throw Error("the model departs from the reference beyond tolerance");
}

}  // namespace

void add_compare(CLI::App& app) {
  auto a = std::make_shared<CompareArgs>();
  auto* cmd = app.add_subcommand("compare", "Compare logits, hidden states and greedy paths with an HF reference");
  cmd->add_option("-m,--model", a->model, "HF folder, .gguf or llama2.c .bin")->required();
  cmd->add_option("--reference", a->reference, "reference.safetensors from scripts/reference/make_reference.py")
      ->required();
  cmd->add_flag("--json", a->json, "print one JSON object");
  add_load_flags(cmd, a->load);
  cmd->add_option("--threads", a->threads, "CPU threads (0 = all)");
  add_device_option(cmd, a->device);
  cmd->callback([a] { run(*a); });
}

}  // namespace kvlm::cli
