// Temporary stand-ins for the model engineer's subcommands, on branch `tokenizer` only.
// Not to be merged: delete this file when cmd_generate/logits/compare/inspect.cpp land.
#include "cli/commands.hpp"
#include "kvlm/error.hpp"

namespace kvlm::cli {

static void add_stub(CLI::App& app, const char* name) {
  auto* cmd = app.add_subcommand(name, std::string(name) + " (not built on this branch)");
  cmd->allow_extras();
  cmd->callback([name] { throw kvlm::Error(std::string(name) + " is not built on the tokenizer branch"); });
}

void add_generate(CLI::App& app) { add_stub(app, "generate"); }
void add_logits(CLI::App& app) { add_stub(app, "logits"); }
void add_compare(CLI::App& app) { add_stub(app, "compare"); }
void add_inspect(CLI::App& app) { add_stub(app, "inspect"); }

}  // namespace kvlm::cli
