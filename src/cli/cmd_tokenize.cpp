// kvlm tokenize: text -> ids -> tokens -> text with any tokenizer kvlm reads, to see how text is cut.
// Not an encoder for files or batches: one text (or one id list) per call.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "kvlm/error.hpp"
#include "kvlm/tokenizer/tokenizer.hpp"

namespace kvlm::cli {

namespace {

struct TokenizeOptions {
  std::string tokenizer, model;
  std::string text;
  std::string ids;
  bool add_special = false;
  bool json = false;
};

void run(const TokenizeOptions& o) {
  // -t names the tokenizer; -m, as for generate, takes the one beside (or inside) a model.
  const std::unique_ptr<Tokenizer> tokenizer = find_tokenizer(o.model, o.tokenizer);
  if (!tokenizer) throw Error("no tokenizer found beside " + o.model + ": pass -t TOKENIZER");
  const std::vector<int> ids = o.ids.empty() ? tokenizer->encode(o.text, o.add_special) : parse_ids(o.ids);
  std::vector<std::string> tokens;
  for (int id : ids) tokens.push_back(tokenizer->token(id));
  const std::string text = tokenizer->decode(ids);

  using json = nlohmann::ordered_json;  // keys in the documented order: ids, tokens, text
  const auto dump = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };
  if (o.json) {
    std::printf("%s\n", dump(json{{"ids", ids}, {"tokens", tokens}, {"text", text}}).c_str());
    return;
  }
  std::printf("ids:    %s\n", dump(json(ids)).c_str());
  std::printf("tokens: %s\n", dump(json(tokens)).c_str());  // quoted, so spaces and "\n" show
  std::printf("text:   %s\n", dump(json(text)).c_str());
  std::printf("count:  %zu tokens\n", ids.size());
}

}  // namespace

void add_tokenize(CLI::App& app) {
  auto options = std::make_shared<TokenizeOptions>();
  auto* cmd = app.add_subcommand("tokenize", "Text -> ids -> text with a model's tokenizer");
  auto* tok = cmd->add_option("-t,--tokenizer", options->tokenizer,
                               "tokenizer.json, tokenizer.model, llama2.c tokenizer.bin, a .gguf, or a folder holding one");
  auto* model = cmd->add_option("-m,--model", options->model, "a model: its tokenizer is used, as in generate");
  tok->excludes(model);
  model->excludes(tok);
  auto* text = cmd->add_option("--text", options->text, "text to encode");
  auto* ids = cmd->add_option("--ids", options->ids, "ids to decode, e.g. 1,2,3");
  text->excludes(ids);
  cmd->add_flag("--add-special", options->add_special, "add special tokens (BOS...) as HF's add_special_tokens");
  cmd->add_flag("--json", options->json, R"(print {"ids":[...],"tokens":[...],"text":"..."})");
  cmd->callback([options, text, ids] {
    if (text->count() == 0 && ids->count() == 0) throw CLI::RequiredError("--text or --ids");
    if (options->tokenizer.empty() && options->model.empty()) throw CLI::RequiredError("-t TOKENIZER or -m MODEL");
    run(*options);
  });
}

}  // namespace kvlm::cli
