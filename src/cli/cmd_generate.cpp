// kvlm generate: prompt -> new tokens, naive (--no-cache) or with the KV cache, streamed as text.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string_view>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/kv_cache_flags.hpp"
#include "kvlm/cache/cache_file.hpp"
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
  KVCacheOptions kv_cache;             // --kv-cache, --kv-block, --kv-pool, --kv-window, --kv-sinks
  std::string save_cache, load_cache;  // --save-cache FILE, --load-cache FILE
  std::string device = "cpu";          // --device cpu|cuda
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

// The prompts' texts: one from -p TEXT, -p - or a pipe (stdin); from -f FILE, one per line (blank
// lines skipped), run one after another on one KV cache pool.
std::vector<std::string> prompt_texts(const GenerateArgs& a) {
  if (a.prompt_from_stdin) return {read_all(stdin, "standard input")};
  if (a.prompt_file.empty()) return {a.prompt};
  std::FILE* f = std::fopen(a.prompt_file.c_str(), "rb");
  if (!f) throw Error("cannot open the prompt file " + a.prompt_file);
  const std::string text = read_all(f, a.prompt_file);
  std::fclose(f);
  std::vector<std::string> lines;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
    begin = end + 1;
  }
  if (lines.empty()) lines.push_back("");  // an empty file: one empty prompt (it starts from BOS)
  return lines;
}

// One prompt as ids, and its text as the model reads it (empty for --prompt-ids).
struct Prompt {
  std::vector<int> ids;
  std::string text;
};

std::vector<Prompt> read_prompts(const GenerateArgs& a, const Model& model, const Tokenizer* tok,
                                 GenerationConfig& config) {
  std::vector<Prompt> prompts;
  if (!a.prompt_ids.empty()) {
    if (a.chat) throw Error("--chat needs a text prompt (-p), not --prompt-ids");
    prompts.push_back({parse_ids(a.prompt_ids), ""});
  } else {
    if (!tok) throw Error("no tokenizer found beside " + a.model + ": pass -t TOKENIZER or use --prompt-ids");
    for (std::string text : prompt_texts(a)) {
      if (a.chat) {
        const ChatTemplate chat = chat_template_for(tok->chat_template());
        const int end_of_turn = chat.end_of_turn_id(*tok);
        text = chat.apply(text);
        if (!a.ignore_eos && config.stop_token_ids.empty()) config.stop_token_ids.push_back(end_of_turn);
      }
      // A chat prompt carries its own BOS where the format has one, as HF's apply_chat_template does.
      prompts.push_back({tok->encode(text, /*add_special_tokens=*/!a.chat), text});
    }
  }
  // An empty prompt starts from BOS, as HF's generate does, where the model has one.
  for (Prompt& p : prompts)
    if (p.ids.empty() && model.config.bos_token_id >= 0) p.ids = {model.config.bos_token_id};
  return prompts;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// The cache of one prompt, before generation: loaded from --load-cache, or what the pool already
// holds of the prompt (paged prefix caching); with --save-cache, the prompt (all but its last token,
// whose logits pick the first new token) is prefilled and saved. Returns the positions reused and
// adds the prefill's time to *prefill_ms.
int prepare_cache(const GenerateArgs& a, const Model& model, KVCache& cache, std::span<const int> prompt,
                  double* prefill_ms) {
  int reused = 0;
  if (!a.load_cache.empty()) {
    const std::vector<int> saved = load_kv_cache(a.load_cache, model, cache);
    if (saved.size() >= prompt.size() || !std::equal(saved.begin(), saved.end(), prompt.begin()))
      throw Error("the KV cache file " + a.load_cache + " holds " + std::to_string(saved.size()) +
                  " tokens that are not the start of this prompt of " + std::to_string(prompt.size()) + " tokens");
    reused = static_cast<int>(saved.size());
  } else {
    reused = cache.reuse_prefix(prompt);
  }
  if (!a.save_cache.empty()) {
    const auto t0 = std::chrono::steady_clock::now();
    const int held = cache.length(), end = static_cast<int>(prompt.size()) - 1;
    if (held < end) forward(model, prompt.subspan(held, end - held), held, &cache);
    save_kv_cache(a.save_cache, model, cache, prompt.first(end));
    *prefill_ms += ms_since(t0);
  }
  return reused;
}

void run(const GenerateArgs& a) {
  set_threads(a.threads);
  const auto t0 = std::chrono::steady_clock::now();
  const Model model = load_model(a.model, a.load);
  const std::unique_ptr<Decoder> decoder = make_decoder(a.device, model);  // the CPU, or the GPU (chapter 07)
  const double load_ms = ms_since(t0);
  const std::unique_ptr<Tokenizer> tok = find_tokenizer(a.model, a.tokenizer);

  GenerationConfig config;
  config.sampler = a.sampler;
  config.stop_at_eos = !a.ignore_eos;
  // Every step's logits must be finite; if not, exit 1 naming the layer that first made NaN or Inf.
  config.on_logits = finite_logits_check(model);
  const std::vector<Prompt> prompts = read_prompts(a, model, tok.get(), config);
  if (prompts.size() > 1 && (!a.trace.empty() || !a.save_cache.empty() || !a.load_cache.empty()))
    throw Error("--trace, --save-cache and --load-cache take one prompt; " + a.prompt_file + " holds " +
                std::to_string(prompts.size()));

  // -n beyond the context is not refused: generation runs until the context is full (the last new
  // token is sampled, never fed back, so prompt + new - 1 positions are used). A cache that keeps
  // only recent positions (a window) lets it run on past the context.
  const int context = context_size(a.ctx_size, model.config.max_position_embeddings);
  const bool past_context =
      !a.no_cache && max_positions(model.config, make_kv_cache(model.config, a.kv_cache, 1).get()) == KVCache::kUnbounded;
  size_t longest = 0;
  for (const Prompt& p : prompts) {
    if (p.ids.size() > static_cast<size_t>(context))
      throw Error("the prompt has " + std::to_string(p.ids.size()) + " tokens, longer than the context of " +
                  std::to_string(context) + " tokens" + (a.ctx_size > 0 ? " (-c)" : ""));
    longest = std::max(longest, p.ids.size());
  }
  const auto new_tokens = [&](const Prompt& p) {
    return past_context ? a.max_new_tokens : std::min(a.max_new_tokens, context - static_cast<int>(p.ids.size()) + 1);
  };
  const PromptCaches caches(*decoder, a.kv_cache,
                            static_cast<int>(std::min<size_t>(longest + std::max(a.max_new_tokens - 1, 0),
                                                              past_context ? SIZE_MAX : context)));

  for (size_t i = 0; i < prompts.size(); ++i) {
    const std::vector<int>& prompt = prompts[i].ids;
    config.max_new_tokens = new_tokens(prompts[i]);

    std::optional<TraceWriter> trace;  // --trace: every step, written once generation ends
    if (!a.trace.empty()) {
      if (!std::ofstream(a.trace)) throw Error("cannot write the trace to " + a.trace);  // before, not after, the work
      trace.emplace(model, config, tok.get(), a.trace_options);
      trace->set_info(a.model, !a.no_cache);
      trace->set_prompt(prompts[i].text, prompt);
      config.on_step = trace->observer();
    }

    TextStream stream(a.json ? nullptr : tok.get());
    const OnToken on_token = [&](int id) {
      if (!is_stop_token(model, config, id)) stream.push(id);  // EOS / <|im_end|> end the text; they are not part of it
    };
    std::unique_ptr<KVCache> cache;
    int reused = 0;
    double outside_prefill_ms = 0;  // --save-cache prefills before generate_cached
    Generation g;
    if (a.no_cache) {
      g = generate_naive(*decoder, prompt, config, on_token);
    } else {
      cache = caches.make();
      check_fits_cache(model, *cache, prompt.size(), config.max_new_tokens);
      reused = prepare_cache(a, model, *cache, prompt, &outside_prefill_ms);
      g = generate_cached(*decoder, prompt, config, on_token, cache.get());
    }
    if (trace) trace->write(a.trace);
    const double first_token_ms = outside_prefill_ms + (g.stats.step_ms.empty() ? 0.0 : g.stats.step_ms[0]);

    // The text without a final stop token (EOS, <|im_end|>), as a chat user expects.
    std::vector<int> shown = g.tokens;
    if (!shown.empty() && is_stop_token(model, config, shown.back())) shown.pop_back();
    const std::string text = tok ? tok->decode(shown) : "";
    const char* stop_reason = shown.size() < g.tokens.size()                        ? "eos"
                              : static_cast<int>(g.tokens.size()) < a.max_new_tokens ? "context_full"
                                                                                      : "max_new_tokens";
    const size_t decode_steps = g.tokens.size() > 1 ? g.tokens.size() - 1 : 0;
    const double tok_per_s = g.stats.decode_ms > 0 ? 1000.0 * decode_steps / g.stats.decode_ms : 0.0;

    if (a.json) {  // one object per prompt, one per line
      nlohmann::json j = {{"prompt_ids", prompt},
                          {"generated_ids", g.tokens},
                          {"text", text},
                          {"cache", a.no_cache ? "none" : "kv"},
                          {"device", a.device},
                          {"weights", {{"formats", linear_formats(model)}, {"bytes_per_token", linear_bytes(model)}}},
                          {"stop_reason", stop_reason},
                          {"timings",
                           {{"load_ms", load_ms},
                            {"prefill_ms", g.stats.prefill_ms + outside_prefill_ms},
                            {"time_to_first_token_ms", first_token_ms},
                            {"decode_ms", g.stats.decode_ms},
                            {"decode_tok_per_s", tok_per_s}}},
                          {"kv_cache_bytes", g.stats.kv_cache_bytes}};
      if (cache) j["kv_cache"] = kv_cache_json(*cache, reused);
      std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      std::fflush(stdout);
      continue;
    }
    stream.finish();
    if (!tok) {  // no text to show: print the ids
      for (size_t t = 0; t < g.tokens.size(); ++t) std::printf("%s%d", t ? "," : "", g.tokens[t]);
    }
    std::printf("\n");
    std::fflush(stdout);
    if (prompts.size() > 1) std::fprintf(stderr, "[kvlm] prompt %zu of %zu: ", i + 1, prompts.size());
    else std::fprintf(stderr, "[kvlm] ");
    std::fprintf(stderr, "%zu prompt + %zu new tokens, %s, prefill %.1f ms, decode %.1f tok/s, KV cache %zu bytes\n",
                 prompt.size(), g.tokens.size(), a.no_cache ? "no cache" : ("KV cache " + a.kv_cache.kind).c_str(),
                 g.stats.prefill_ms + outside_prefill_ms, tok_per_s, g.stats.kv_cache_bytes);
    if (cache && (reused > 0 || a.kv_cache.kind == "paged"))
      std::fprintf(stderr, "[kvlm] %d of %zu prompt positions reused; time to first token %.1f ms\n", reused,
                   prompt.size(), first_token_ms);
    if (std::string_view(stop_reason) == "context_full")
      std::fprintf(stderr, "[kvlm] stopped: the context of %d tokens is full (-n asked for %d new tokens)\n", context,
                   a.max_new_tokens);
  }
}

}  // namespace

void add_generate(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand("generate", "Generate tokens from a prompt (greedy unless --temp > 0)");
  cmd->add_option("-m,--model", a->model, "HF folder, .gguf or llama2.c .bin")->required();
  cmd->add_option("-t,--tokenizer", a->tokenizer, "tokenizer file (default: the one beside the model)");
  auto* p = cmd->add_option("-p,--prompt", a->prompt, "prompt text; - reads it from standard input");
  auto* f = cmd->add_option("-f,--file", a->prompt_file, "read prompts from a file, one per line, run one after another");
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
  add_kv_cache_options(cmd, a->kv_cache);
  add_device_option(cmd, a->device);
  cmd->add_option("--save-cache", a->save_cache, "save the prompt's KV cache to FILE (all but its last token)");
  cmd->add_option("--load-cache", a->load_cache, "start from a KV cache FILE saved for a prompt this one starts with");
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
    check_kv_cache_flags("generate", a->kv_cache);
    if (a->no_cache && (!a->save_cache.empty() || !a->load_cache.empty()))
      throw CLI::ValidationError("generate", "--save-cache and --load-cache need the KV cache (not --no-cache)");
    if (a->device == "cuda" && (!a->trace.empty() || !a->save_cache.empty() || !a->load_cache.empty() ||
                                a->kv_cache.kind != "contiguous"))
      throw CLI::ValidationError("generate", "--device cuda runs with the contiguous KV cache, without --trace, "
                                             "--save-cache or --load-cache (those are the CPU's, for now)");
    run(*a);
  });
}

}  // namespace kvlm::cli
