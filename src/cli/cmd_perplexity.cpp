// kvlm perplexity: a model's perplexity over a text file and, with --kl-base, its mean KL divergence
// and top-1 agreement against another model file, as llama-perplexity (--kl-divergence) reports them.
// The method is in kvlm/verify/perplexity.hpp. Not llama.cpp's KL workflow: the base model's logits
// are not saved to a file first; both models run side by side, window by window.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "kvlm/error.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/verify/perplexity.hpp"

namespace kvlm::cli {
namespace {

struct PerplexityArgs {
  std::string model, tokenizer, text_file, kl_base;
  int ctx = 512;
  int threads = 0;
  bool json = false;
  LoadOptions load;  // --check-tensors, --dequantize (both models)
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open the text file " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty()) throw Error("the text file " + path + " is empty");
  return text;
}

nlohmann::json to_json(const PerplexityScore& s) {
  return {{"tokens_scored", s.tokens_scored},
          {"mean_nll", s.mean_nll},
          {"perplexity", s.perplexity},
          {"perplexity_stderr", s.perplexity_stderr}};
}

void run(const PerplexityArgs& a) {
  set_threads(a.threads);
  const std::string text = read_text(a.text_file);
  const Model model = load_model(a.model, a.load);
  const std::unique_ptr<Tokenizer> tok = find_tokenizer(a.model, a.tokenizer);
  if (!tok) throw Error("no tokenizer found beside " + a.model + ": pass -t TOKENIZER");
  std::optional<Model> base;
  if (!a.kl_base.empty()) base = load_model(a.kl_base, a.load);

  // The text as HF would encode it for this model; where that adds BOS, every window starts with BOS.
  const std::vector<int> ids = tok->encode(text, /*add_special_tokens=*/true);
  PerplexityOptions options;
  options.ctx = a.ctx;
  if (!ids.empty() && tok->bos_id() && ids.front() == *tok->bos_id()) options.window_start_token = tok->bos_id();
  options.on_window = [](int done, int windows) {
    progress(done == windows ? "" : "[kvlm] perplexity: window " + std::to_string(done + 1) + " of " + std::to_string(windows) + " ...");
  };
  const PerplexityReport r = perplexity(model, ids, options, base ? &*base : nullptr);

  if (a.json) {
    nlohmann::json j = {{"model", a.model},
                        {"text", a.text_file},
                        {"text_tokens", ids.size()},
                        {"ctx", a.ctx},
                        {"windows", r.windows},
                        {"first_scored_position", r.first_scored_position}};
    j.update(to_json(r.score));
    if (r.vs_base)
      j["kl_base"] = {{"model", a.kl_base},
                      {"perplexity", r.vs_base->base.perplexity},
                      {"perplexity_stderr", r.vs_base->base.perplexity_stderr},
                      {"mean_kl", r.vs_base->mean_kl},
                      {"top1_agreement", r.vs_base->top1_agreement}};
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("%s: %zu tokens, %d windows of %d, each scored from position %d: %d tokens scored\n",
              a.text_file.c_str(), ids.size(), r.windows, a.ctx, r.first_scored_position, r.score.tokens_scored);
  std::printf("perplexity %.4f +/- %.4f (mean NLL %.5f nats)\n", r.score.perplexity, r.score.perplexity_stderr,
              r.score.mean_nll);
  if (r.vs_base)
    std::printf("against %s (perplexity %.4f): mean KL divergence %.6f nats, top-1 agreement %.2f%%\n",
                a.kl_base.c_str(), r.vs_base->base.perplexity, r.vs_base->mean_kl, 100 * r.vs_base->top1_agreement);
}

}  // namespace

void add_perplexity(CLI::App& app) {
  auto a = std::make_shared<PerplexityArgs>();
  auto* cmd = app.add_subcommand("perplexity", "Perplexity over a text file; with --kl-base, KL divergence and top-1 agreement against another model");
  cmd->add_option("-m,--model", a->model, "HF folder, .gguf or llama2.c .bin")->required();
  cmd->add_option("-t,--tokenizer", a->tokenizer, "tokenizer file (default: the one beside the model)");
  cmd->add_option("-f,--file", a->text_file, "the text to score")->required();
  cmd->add_option("--ctx", a->ctx, "tokens per window; the second half of each window is scored")->capture_default_str();
  cmd->add_option("--kl-base", a->kl_base, "a model of the same vocabulary (typically the F32 file) to measure KL divergence against");
  cmd->add_option("--threads", a->threads, "CPU threads (0 = all)");
  cmd->add_flag("--json", a->json, "print one JSON object");
  add_load_flags(cmd, a->load);
  cmd->callback([a] { run(*a); });
}

}  // namespace kvlm::cli
