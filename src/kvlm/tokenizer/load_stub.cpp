// Placeholder until the tokenizer lands (issue 3).
#include "kvlm/error.hpp"
#include "kvlm/tokenizer/tokenizer.hpp"

namespace kvlm {
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& path) {
  throw Error("cannot load " + path.string() + ": tokenizers are not built yet");
}
}  // namespace kvlm
