// The kvlm subcommands. Each add_* registers one subcommand and its callback on the app.
// Not the logic: a command parses flags, calls the library, and prints.
#pragma once

#include <CLI/CLI.hpp>

namespace kvlm::cli {

void add_generate(CLI::App& app);
void add_chat(CLI::App& app);
void add_logits(CLI::App& app);
void add_compare(CLI::App& app);
void add_tokenize(CLI::App& app);
void add_train_tokenizer(CLI::App& app);
void add_inspect(CLI::App& app);
void add_view(CLI::App& app);
void add_quantize(CLI::App& app);
void add_perplexity(CLI::App& app);

}  // namespace kvlm::cli
