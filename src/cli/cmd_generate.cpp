// kvlm generate: prompt -> new tokens, naive (--no-cache) or with the KV cache, streamed as text.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string_view>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "kvlm/error.hpp"
#include "kvlm/generate/generate.hpp"
#include "kvlm/generate/trace.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/tokenizer/chat_template.hpp"
#include "kvlm/verify/finite.hpp"

namespace kvlm::cli {
namespace {

struct GenerateArgs {
  std::string model, tokenizer, prompt, prompt_ids, prompt_file;
  bool prompt_from_stdin = false;  // -p -, or a prompt piped in with no prompt option
  int max_new_tokens = 32;
  int ctx_size = 0;                // 0 = the model's context
  SamplerConfig sampler;
  bool no_cache = false, chat = false, json = false, ignore_eos = false;
  LoadOptions load;  // --check-tensors, --dequantize
  int threads = 0;
  std::string trace;  // --trace FILE.json
  TraceOptions trace_options;
};

std::string read_all(std::FILE* f, const std::string& what) {
  std::string text;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  if (std::ferror(f)) throw Error("cannot read the prompt from " + what);
  return text;
}

// True when stdin is a pipe or a file (`echo hi | kvlm generate ...`), not a terminal or /dev/null.
bool stdin_has_data() {
  struct stat st {};
  return fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode));
}

// The prompt's text from -p TEXT, -p - or a pipe (stdin), or -f FILE.
std::string prompt_text(const GenerateArgs& a) {
  if (a.prompt_from_stdin) return read_all(stdin, "standard input");
  if (!a.prompt_file.empty()) {
    std::FILE* f = std::fopen(a.prompt_file.c_str(), "rb");
    if (!f) throw Error("cannot open the prompt file " + a.prompt_file);
    std::string text = read_all(f, a.prompt_file);
    std::fclose(f);
    return text;
  }
  return a.prompt;
}

void run(const GenerateArgs& a) {
  set_threads(a.threads);
  const auto t0 = std::chrono::steady_clock::now();
  const Model model = load_model(a.model, a.load);
  const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const std::unique_ptr<Tokenizer> tok = find_tokenizer(a.model, a.tokenizer);

  GenerationConfig config;
  config.sampler = a.sampler;
  config.stop_at_eos = !a.ignore_eos;
  // Every step's logits must be finite; if not, exit 1 naming the layer that first made NaN or Inf.
  config.on_logits = finite_logits_check(model);

  std::vector<int> prompt;
  std::string prompt_string;  // the prompt's text as the model reads it (empty for --prompt-ids)
  if (!a.prompt_ids.empty()) {
    if (a.chat) throw Error("--chat needs a text prompt (-p), not --prompt-ids");
    prompt = parse_ids(a.prompt_ids);
  } else {
    if (!tok) throw Error("no tokenizer found beside " + a.model + ": pass -t TOKENIZER or use --prompt-ids");
    std::string text = prompt_text(a);
    if (a.chat) {
      const ChatTemplate chat = chat_template_for(tok->chat_template());
      const int end_of_turn = chat.end_of_turn_id(*tok);
      text = chat.apply(text);
      if (!a.ignore_eos) config.stop_token_ids.push_back(end_of_turn);
    }
    // A chat prompt carries its own BOS where the format has one, as HF's apply_chat_template does.
    prompt = tok->encode(text, /*add_special_tokens=*/!a.chat);
    prompt_string = text;
  }
  // An empty prompt starts from BOS, as HF's generate does, where the model has one.
  if (prompt.empty() && model.config.bos_token_id >= 0) prompt = {model.config.bos_token_id};

  // -n beyond the context is not refused: generation runs until the context is full (the last new
  // token is sampled, never fed back, so prompt + new - 1 positions are used).
  const int context = context_size(a.ctx_size, model.config.max_position_embeddings);
  if (prompt.size() > static_cast<size_t>(context))
    throw Error("the prompt has " + std::to_string(prompt.size()) + " tokens, longer than the context of " +
                std::to_string(context) + " tokens" + (a.ctx_size > 0 ? " (-c)" : ""));
  const int room = context - static_cast<int>(prompt.size()) + 1;
  config.max_new_tokens = std::min(a.max_new_tokens, room);

  std::optional<TraceWriter> trace;  // --trace: every step, written once generation ends
  if (!a.trace.empty()) {
    if (!std::ofstream(a.trace)) throw Error("cannot write the trace to " + a.trace);  // before, not after, the work
    trace.emplace(model, config, tok.get(), a.trace_options);
    trace->set_info(a.model, !a.no_cache);
    trace->set_prompt(prompt_string, prompt);
    config.on_step = trace->observer();
  }

  TextStream stream(a.json ? nullptr : tok.get());
  const OnToken on_token = [&](int id) {
    if (!is_stop_token(model, config, id)) stream.push(id);  // EOS / <|im_end|> end the text; they are not part of it
  };
  const Generation g = a.no_cache ? generate_naive(model, prompt, config, on_token)
                                  : generate_cached(model, prompt, config, on_token);

  if (trace) trace->write(a.trace);

  // The text without a final stop token (EOS, <|im_end|>), as a chat user expects.
  std::vector<int> shown = g.tokens;
  if (!shown.empty() && is_stop_token(model, config, shown.back())) shown.pop_back();
  const std::string text = tok ? tok->decode(shown) : "";
  const char* stop_reason = shown.size() < g.tokens.size()                        ? "eos"
                            : static_cast<int>(g.tokens.size()) < a.max_new_tokens ? "context_full"
                                                                                    : "max_new_tokens";
  const size_t decode_steps = g.tokens.size() > 1 ? g.tokens.size() - 1 : 0;
  const double tok_per_s = g.stats.decode_ms > 0 ? 1000.0 * decode_steps / g.stats.decode_ms : 0.0;

  if (a.json) {
    nlohmann::json j = {{"prompt_ids", prompt},
                        {"generated_ids", g.tokens},
                        {"text", text},
                        {"cache", a.no_cache ? "none" : "kv"},
                        {"weights", {{"formats", linear_formats(model)}, {"bytes_per_token", linear_bytes(model)}}},
                        {"stop_reason", stop_reason},
                        {"timings",
                         {{"load_ms", load_ms},
                          {"prefill_ms", g.stats.prefill_ms},
                          {"decode_ms", g.stats.decode_ms},
                          {"decode_tok_per_s", tok_per_s}}},
                        {"kv_cache_bytes", g.stats.kv_cache_bytes}};
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return;
  }
  stream.finish();
  if (!tok) {  // no text to show: print the ids
    for (size_t i = 0; i < g.tokens.size(); ++i) std::printf("%s%d", i ? "," : "", g.tokens[i]);
  }
  std::printf("\n");
  std::fflush(stdout);
  std::fprintf(stderr, "[kvlm] %zu prompt + %zu new tokens, %s, prefill %.1f ms, decode %.1f tok/s, KV cache %zu bytes\n",
               prompt.size(), g.tokens.size(), a.no_cache ? "no cache" : "KV cache", g.stats.prefill_ms, tok_per_s,
               g.stats.kv_cache_bytes);
  if (std::string_view(stop_reason) == "context_full")
    std::fprintf(stderr, "[kvlm] stopped: the context of %d tokens is full (-n asked for %d new tokens)\n", context,
                 a.max_new_tokens);
}

}  // namespace

void add_generate(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand("generate", "Generate tokens from a prompt (greedy unless --temp > 0)");
  cmd->add_option("-m,--model", a->model, "HF folder, .gguf or llama2.c .bin")->required();
  cmd->add_option("-t,--tokenizer", a->tokenizer, "tokenizer file (default: the one beside the model)");
  auto* p = cmd->add_option("-p,--prompt", a->prompt, "prompt text; - reads it from standard input");
  auto* f = cmd->add_option("-f,--file", a->prompt_file, "read the prompt from a file");
  auto* ids = cmd->add_option("--prompt-ids", a->prompt_ids, "prompt as token ids, e.g. 1,2,3");
  p->excludes(f, ids);
  f->excludes(p, ids);
  ids->excludes(p, f);
  cmd->add_option("-n,--max-new-tokens", a->max_new_tokens, "number of new tokens (fewer if the context fills)")
      ->capture_default_str();
  cmd->add_option("-c,--ctx-size", a->ctx_size, "context size in tokens (default: the model's)");
  add_sampler_options(cmd, a->sampler);
  cmd->add_flag("--ignore-eos", a->ignore_eos, "do not stop at the end-of-sequence token");
  cmd->add_flag("--no-cache", a->no_cache, "naive generation: recompute the whole sequence every step");
  cmd->add_flag("--chat", a->chat, "wrap the prompt in the model's chat format (ChatML or Llama 3) and stop at its end of turn");
  cmd->add_flag("--json", a->json, "print one JSON object");
  add_load_flags(cmd, a->load);
  cmd->add_option("--trace", a->trace, "write every step (candidates, attention, timing, cache) to FILE.json");
  cmd->add_option("--trace-layers", a->trace_options.max_layers, "layers whose attention the trace keeps (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--trace-heads", a->trace_options.max_heads, "heads per layer the trace keeps (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--threads", a->threads, "CPU threads (default: every CPU up to 4)")->capture_default_str();
  cmd->callback([a, p, f, ids] {
    // Usage first (exit 2), before anything is loaded.
    if (a->prompt == "-") a->prompt_from_stdin = true;
    if (p->count() + f->count() + ids->count() == 0) {
      if (!stdin_has_data())
        throw CLI::ValidationError("generate", "give -p TEXT, -p - (stdin), -f FILE or --prompt-ids, or pipe a prompt in");
      a->prompt_from_stdin = true;
    }
    check_sampler_options("generate", a->sampler);
    if (a->max_new_tokens < 0) throw CLI::ValidationError("generate", "-n must be >= 0");
    if (a->ctx_size < 0) throw CLI::ValidationError("generate", "-c must be >= 0 (0 = the model's context)");
    run(*a);
  });
}

}  // namespace kvlm::cli
