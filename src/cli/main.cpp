// kvlm: the command line. Wires the subcommands together and turns errors into exit codes:
// bad input (kvlm::Error) -> one sentence on stderr, exit 1; bad usage -> CLI11's message, exit 2.
#include <cstdio>
#include <exception>

#include "cli/commands.hpp"
#include "kvlm/error.hpp"
#include "kvlm/tensor.hpp"

int main(int argc, char** argv) {
  kvlm::keep_freed_memory();  // see tensor.hpp
  CLI::App app{"kvlm: a transformer language model and its KV cache, from scratch"};
  app.set_version_flag("--version", "kvlm " KVLM_VERSION);
  app.require_subcommand(1);
  kvlm::cli::add_generate(app);
  kvlm::cli::add_chat(app);
  kvlm::cli::add_logits(app);
  kvlm::cli::add_compare(app);
  kvlm::cli::add_tokenize(app);
  kvlm::cli::add_train_tokenizer(app);
  kvlm::cli::add_inspect(app);
  kvlm::cli::add_view(app);
  kvlm::cli::add_quantize(app);
  kvlm::cli::add_perplexity(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help or the usage error
    return code == 0 ? 0 : 2;
  } catch (const kvlm::Error& e) {
    std::fprintf(stderr, "kvlm: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "kvlm: error: out of memory (is the model or the context too large?)\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kvlm: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
