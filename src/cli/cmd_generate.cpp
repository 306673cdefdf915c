// kvlm generate: prompt -> new tokens, naive (--no-cache) or with the KV cache, streamed as text.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "kvlm/error.hpp"
#include "kvlm/generate/generate.hpp"
#include "kvlm/generate/trace.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/tokenizer/chat_template.hpp"

namespace kvlm::cli {
namespace {

struct GenerateArgs {
  std::string model, tokenizer, prompt, prompt_ids;
  int max_new_tokens = 32;
  float temperature = 0.0f;
  int top_k = 0;
  float top_p = 1.0f;
  uint64_t seed = 0;
  bool no_cache = false, chat = false, json = false;
  int threads = 0;
  std::string trace;  // --trace FILE.json
  TraceOptions trace_options;
};

// Prints the text of `ids` as it grows. A token may end inside a UTF-8 character (its decode then
// ends in U+FFFD); such a tail is held back until the next token completes it.
class TextStream {
 public:
  explicit TextStream(const Tokenizer* tok) : tok_(tok) {}
  void push(int id) {
    ids_.push_back(id);
    if (!tok_) return;
    const std::string text = tok_->decode(ids_);
    static const std::string kReplacement = "\xEF\xBF\xBD";
    if (text.size() >= kReplacement.size() && text.compare(text.size() - 3, 3, kReplacement) == 0) return;
    if (text.size() > printed_ && text.compare(0, printed_, text, 0, printed_) == 0) {
      std::fwrite(text.data() + printed_, 1, text.size() - printed_, stdout);
      std::fflush(stdout);
      printed_ = text.size();
    }
  }

 private:
  const Tokenizer* tok_;
  std::vector<int> ids_;
  size_t printed_ = 0;
};

void run(const GenerateArgs& a) {
  set_threads(a.threads);
  const auto t0 = std::chrono::steady_clock::now();
  const Model model = load_model(a.model);
  const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const std::unique_ptr<Tokenizer> tok = find_tokenizer(a.model, a.tokenizer);

  GenerationConfig config;
  config.max_new_tokens = a.max_new_tokens;
  config.sampler = {a.temperature, a.top_k, a.top_p, a.seed};
  config.stop_token_ids = model.config.eos_token_ids;

  std::vector<int> prompt;
  if (!a.prompt_ids.empty()) {
    if (a.chat) throw Error("--chat needs a text prompt (-p), not --prompt-ids");
    prompt = parse_ids(a.prompt_ids);
  } else {
    if (!tok) throw Error("no tokenizer found beside " + a.model + ": pass -t TOKENIZER or use --prompt-ids");
    std::string text = a.prompt;
    if (a.chat) {
      const auto im_end = tok->token_to_id("<|im_end|>");
      if (!im_end || !tok->token_to_id("<|im_start|>"))
        throw Error("--chat needs a ChatML tokenizer (with <|im_start|> and <|im_end|>)");
      text = apply_chatml(text, read_chat_template(a.model));
      config.stop_token_ids.push_back(*im_end);
    }
    prompt = tok->encode(text, /*add_special_tokens=*/true);
  }

  std::optional<TraceWriter> trace;  // --trace: every step, written once generation ends
  if (!a.trace.empty()) {
    if (!std::ofstream(a.trace)) throw Error("cannot write the trace to " + a.trace);  // before, not after, the work
    trace.emplace(model, config, tok.get(), a.trace_options);
    trace->set_info(a.model, !a.no_cache);
    trace->set_prompt(a.prompt_ids.empty() ? a.prompt : "", prompt);
    config.on_step = trace->observer();
  }

  TextStream stream(a.json ? nullptr : tok.get());
  const auto is_stop = [&](int id) { return std::ranges::find(config.stop_token_ids, id) != config.stop_token_ids.end(); };
  const OnToken on_token = [&](int id) {
    if (!is_stop(id)) stream.push(id);  // EOS / <|im_end|> end the text; they are not part of it
  };
  const Generation g = a.no_cache ? generate_naive(model, prompt, config, on_token)
                                  : generate_cached(model, prompt, config, on_token);

  if (trace) trace->write(a.trace);

  // The text without a final stop token (EOS, <|im_end|>), as a chat user expects.
  std::vector<int> shown = g.tokens;
  if (!shown.empty() && is_stop(shown.back())) shown.pop_back();
  const std::string text = tok ? tok->decode(shown) : "";
  const size_t decode_steps = g.tokens.size() > 1 ? g.tokens.size() - 1 : 0;
  const double tok_per_s = g.stats.decode_ms > 0 ? 1000.0 * decode_steps / g.stats.decode_ms : 0.0;

  if (a.json) {
    nlohmann::json j = {{"prompt_ids", prompt},
                        {"generated_ids", g.tokens},
                        {"text", text},
                        {"cache", a.no_cache ? "none" : "kv"},
                        {"timings",
                         {{"load_ms", load_ms},
                          {"prefill_ms", g.stats.prefill_ms},
                          {"decode_ms", g.stats.decode_ms},
                          {"decode_tok_per_s", tok_per_s}}},
                        {"kv_cache_bytes", g.stats.kv_cache_bytes}};
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return;
  }
  if (!tok) {  // no text to show: print the ids
    for (size_t i = 0; i < g.tokens.size(); ++i) std::printf("%s%d", i ? "," : "", g.tokens[i]);
  }
  std::printf("\n");
  std::fflush(stdout);
  std::fprintf(stderr, "[kvlm] %zu prompt + %zu new tokens, %s, prefill %.1f ms, decode %.1f tok/s, KV cache %zu bytes\n",
               prompt.size(), g.tokens.size(), a.no_cache ? "no cache" : "KV cache", g.stats.prefill_ms, tok_per_s,
               g.stats.kv_cache_bytes);
}

}  // namespace

void add_generate(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand("generate", "Generate tokens from a prompt (greedy unless --temp > 0)");
  cmd->add_option("-m,--model", a->model, "HF folder, .gguf or llama2.c .bin")->required();
  cmd->add_option("-t,--tokenizer", a->tokenizer, "tokenizer file (default: the one beside the model)");
  auto* p = cmd->add_option("-p,--prompt", a->prompt, "prompt text");
  auto* ids = cmd->add_option("--prompt-ids", a->prompt_ids, "prompt as token ids, e.g. 1,2,3");
  p->excludes(ids);
  ids->excludes(p);
  cmd->add_option("-n,--max-new-tokens", a->max_new_tokens, "number of new tokens")->capture_default_str();
  cmd->add_option("--temp", a->temperature, "temperature; 0 = greedy")->capture_default_str();
  cmd->add_option("--top-k", a->top_k, "sample from the k most likely tokens (0 = all)")->capture_default_str();
  cmd->add_option("--top-p", a->top_p, "sample from the smallest set reaching probability p")->capture_default_str();
  cmd->add_option("--seed", a->seed, "random seed for sampling")->capture_default_str();
  cmd->add_flag("--no-cache", a->no_cache, "naive generation: recompute the whole sequence every step");
  cmd->add_flag("--chat", a->chat, "wrap the prompt in the ChatML template and stop at <|im_end|>");
  cmd->add_flag("--json", a->json, "print one JSON object");
  cmd->add_option("--trace", a->trace, "write every step (candidates, attention, timing, cache) to FILE.json");
  cmd->add_option("--trace-layers", a->trace_options.max_layers, "layers whose attention the trace keeps (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--trace-heads", a->trace_options.max_heads, "heads per layer the trace keeps (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--threads", a->threads, "CPU threads (0 = all)")->capture_default_str();
  cmd->callback([a] {
    if (a->prompt.empty() && a->prompt_ids.empty()) throw CLI::ValidationError("generate", "give -p TEXT or --prompt-ids");
    run(*a);
  });
}

}  // namespace kvlm::cli
