// kvlm chat: a conversation of several turns, the KV cache kept between them, so each turn prefills
// only the new message: the cache's everyday payoff (chapter 06). Not a second loop: every answer
// is generate_cached() on the whole conversation, given the cache that already holds all but the
// new turn. Not a Jinja engine: ChatML and Llama 3 (tokenizer/chat_template.hpp), like `generate --chat`.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "kvlm/error.hpp"
#include "cli/kv_cache_flags.hpp"
#include "kvlm/generate/generate.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/tokenizer/chat_template.hpp"
#include "kvlm/verify/finite.hpp"

namespace kvlm::cli {
namespace {

struct ChatArgs {
  std::string model, tokenizer;
  int max_new_tokens = 256;  // per answer
  int ctx_size = 0;          // 0 = the model's context
  SamplerConfig sampler;
  bool json = false;
  int threads = 0;
  KVCacheOptions kv_cache;  // --kv-cache and its options
};

// Ctrl-C during an answer stops the answer; at the prompt it ends the chat.
std::atomic<bool> g_answering{false}, g_interrupted{false};
extern "C" void on_sigint(int) {
  if (!g_answering) std::_Exit(130);
  g_interrupted = true;
}
struct Interrupted {};  // thrown from the token callback to leave generate_cached()

// The conversation as token ids: the system turn, then (user turn, answer) pairs. The KV cache
// holds the keys and values of a prefix of `ids`; a new turn appends to both.
struct Conversation {
  std::vector<int> system;              // the template's fixed system turn (may be empty)
  std::vector<std::vector<int>> turns;  // each: user turn + assistant cue + answer + end of turn
  std::vector<int> ids() const {
    std::vector<int> all = system;
    for (const auto& t : turns) all.insert(all.end(), t.begin(), t.end());
    return all;
  }
};

void run(const ChatArgs& a) {
  set_threads(a.threads);
  const Model model = load_model(a.model);
  const std::unique_ptr<Tokenizer> tok = find_tokenizer(a.model, a.tokenizer);
  if (!tok) throw Error("no tokenizer found beside " + a.model + ": pass -t TOKENIZER");
  const ChatTemplate format = chat_template_for(tok->chat_template());
  const int end_of_turn = format.end_of_turn_id(*tok);
  const int context = context_size(a.ctx_size, model.config.max_position_embeddings);
  const std::vector<int> after_answer = tok->encode(format.after_answer, /*add_special_tokens=*/false);

  Conversation chat;
  chat.system = tok->encode(format.begin + format.system_turn, /*add_special_tokens=*/false);
  const std::unique_ptr<KVCache> cache_ptr = make_kv_cache(model.config, a.kv_cache, context);  // kept from turn to turn
  KVCache& cache = *cache_ptr;
  GenerationConfig config;
  config.sampler = a.sampler;
  config.stop_token_ids = {end_of_turn};  // and the model's EOS ids (stop_at_eos)
  config.on_logits = finite_logits_check(model);  // NaN or Inf: exit 1, naming the layer
  std::signal(SIGINT, on_sigint);

  if (!a.json) std::fprintf(stderr, "[kvlm] chat with %s; /reset, /stats, /exit; Ctrl-C stops an answer\n", a.model.c_str());
  int turn_number = 0;
  size_t total_reused = 0, total_prefilled = 0, total_generated = 0;
  std::string line;
  while (true) {
    if (!a.json) std::fprintf(stdout, "> "), std::fflush(stdout);
    if (!std::getline(std::cin, line) || line == "/exit") break;
    if (line.empty()) continue;
    if (line == "/reset") {
      chat.turns.clear();
      cache.clear();
      std::fprintf(stderr, "[kvlm] conversation and KV cache cleared\n");
      continue;
    }
    if (line == "/stats") {
      std::fprintf(stderr, "[kvlm] %d turns; %zu tokens in the conversation, %d in the KV cache (%zu bytes); "
                   "%zu reused, %zu prefilled, %zu generated in all\n", turn_number, chat.ids().size(),
                   cache.length(), cache.bytes(), total_reused, total_prefilled, total_generated);
      continue;
    }

    // The new turn; when the conversation would not fit, drop the oldest turns (and the cache,
    // whose positions no longer match: everything left is prefilled again).
    std::vector<int> turn = tok->encode(format.user_turn(line), /*add_special_tokens=*/false);
    const auto fits = [&] { return chat.ids().size() + turn.size() + 1 <= static_cast<size_t>(context); };
    size_t dropped = 0;
    while (!fits() && !chat.turns.empty()) {
      chat.turns.erase(chat.turns.begin());
      ++dropped;
    }
    if (!fits()) {
      std::fprintf(stderr, "[kvlm] this message does not fit the context of %d tokens even alone\n", context);
      continue;
    }
    if (dropped) {
      cache.clear();
      std::fprintf(stderr, "[kvlm] the context of %d tokens is full: dropped the oldest %zu turn%s\n", context, dropped,
                   dropped == 1 ? "" : "s");
    }
    std::vector<int> prompt = chat.ids();
    prompt.insert(prompt.end(), turn.begin(), turn.end());
    const size_t reused = cache.length();
    config.max_new_tokens = std::min(a.max_new_tokens, context - static_cast<int>(prompt.size()) + 1);

    // The answer, streamed: generate_cached feeds only prompt[reused:] through the model.
    std::vector<int> answer;
    TextStream stream(a.json ? nullptr : tok.get());
    const OnToken on_token = [&](int id) {
      answer.push_back(id);
      if (!is_stop_token(model, config, id)) stream.push(id);
      if (g_interrupted) throw Interrupted{};
    };
    Generation g;
    g_interrupted = false;
    g_answering = true;
    try {
      g = generate_cached(model, prompt, config, on_token, &cache);
    } catch (const Interrupted&) {
      std::fprintf(stderr, "\n[kvlm] answer stopped");
    }
    g_answering = false;
    stream.finish();
    const size_t generated = answer.size();

    // The answer joins the conversation, closed as the template writes it (ChatML: <|im_end|> "\n").
    if (answer.empty() || answer.back() != end_of_turn) answer.push_back(end_of_turn);
    turn.insert(turn.end(), answer.begin(), answer.end());
    turn.insert(turn.end(), after_answer.begin(), after_answer.end());
    chat.turns.push_back(turn);
    ++turn_number;
    const size_t prefilled = prompt.size() - reused;
    total_reused += reused, total_prefilled += prefilled, total_generated += generated;
    const size_t steps = generated > 1 ? generated - 1 : 0;
    const double tok_per_s = g.stats.decode_ms > 0 ? 1000.0 * steps / g.stats.decode_ms : 0.0;
    if (a.json) {
      const nlohmann::json j = {{"turn", turn_number},     {"prompt_ids", prompt},
                                {"generated_ids", std::vector<int>(answer.begin(), answer.begin() + generated)},
                                {"reused", reused},        {"prefilled", prefilled},     {"dropped_turns", dropped},
                                {"decode_tok_per_s", tok_per_s}, {"kv_cache_bytes", cache.bytes()},
                                {"text", tok->decode(std::span(answer).first(answer.size() - 1))}};
      std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      std::fflush(stdout);
    } else {
      std::printf("\n");
      std::fflush(stdout);
    }
    std::fprintf(stderr, "[kvlm] %zu tokens reused from the cache, %zu prefilled (%.1f ms), %zu generated at %.1f tok/s; "
                 "KV cache %d of %d positions: %.1f of %.1f MiB\n", reused, prefilled, g.stats.prefill_ms, generated,
                 tok_per_s, cache.length(), context, cache.bytes_used() / 1048576.0,
                 cache.bytes() / 1048576.0);
  }
}

}  // namespace

void add_chat(CLI::App& app) {
  auto a = std::make_shared<ChatArgs>();
  auto* cmd = app.add_subcommand("chat", "A conversation of several turns (ChatML or Llama 3, from the model's template); the KV cache is kept between turns");
  cmd->add_option("-m,--model", a->model, "HF folder, .gguf or llama2.c .bin")->required();
  cmd->add_option("-t,--tokenizer", a->tokenizer, "tokenizer file (default: the one beside the model)");
  cmd->add_option("-n,--max-new-tokens", a->max_new_tokens, "new tokens per answer at most")->capture_default_str();
  cmd->add_option("-c,--ctx-size", a->ctx_size, "context size in tokens (default: the model's)");
  add_sampler_options(cmd, a->sampler);
  add_kv_cache_options(cmd, a->kv_cache);
  cmd->add_flag("--json", a->json, "one JSON object per answer (ids, reuse, timings) instead of text");
  cmd->add_option("--threads", a->threads, "CPU threads (default: every CPU up to 4)");
  cmd->callback([a] {
    check_sampler_options("chat", a->sampler);
    if (a->max_new_tokens < 1) throw CLI::ValidationError("chat", "-n must be >= 1");
    if (a->ctx_size < 0) throw CLI::ValidationError("chat", "-c must be >= 0 (0 = the model's context)");
    check_kv_cache_flags("chat", a->kv_cache);
    run(*a);
  });
}

}  // namespace kvlm::cli
