// kvlm tokenize: placeholder until the tokenizer lands (issue 3).
#include "cli/commands.hpp"
#include "kvlm/error.hpp"

namespace kvlm::cli {

void add_tokenize(CLI::App& app) {
  auto* cmd = app.add_subcommand("tokenize", "Text -> ids -> text with a model's tokenizer");
  cmd->allow_extras();
  cmd->callback([] { throw kvlm::Error("the tokenizer is not built yet (issue 3)"); });
}

}  // namespace kvlm::cli
