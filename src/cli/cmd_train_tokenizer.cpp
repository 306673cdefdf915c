// kvlm train-tokenizer: learn a byte-level BPE on a text file and save it as tokenizer.json.
// Not a production trainer: fine for a few MB of text and a few thousand merges (chapter 01).
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "kvlm/error.hpp"
#include "kvlm/tokenizer/bpe_trainer.hpp"

namespace kvlm::cli {

void add_train_tokenizer(CLI::App& app) {
  struct Options {
    std::string input, out;
    int merges = 0;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("train-tokenizer", "Train a byte-level BPE on a text file, save tokenizer.json");
  cmd->add_option("--input", o->input, "UTF-8 text file to learn from")->required();
  cmd->add_option("--merges", o->merges, "number of merges to learn")->required()->check(CLI::NonNegativeNumber);
  cmd->add_option("--out", o->out, "where to write tokenizer.json")->required();
  cmd->callback([o] {
    std::ifstream in(o->input, std::ios::binary);
    if (!in) throw Error("cannot open " + o->input);
    std::stringstream text;
    text << in.rdbuf();
    const TrainedBpe bpe = train_byte_level_bpe(text.str(), o->merges);
    save_tokenizer_json(bpe, o->out);
    std::printf("learned %zu merges, vocabulary %zu tokens (+%zu special), wrote %s\n", bpe.merges.size(),
                bpe.vocab.size(), bpe.special_tokens.size(), o->out.c_str());
  });
}

}  // namespace kvlm::cli
