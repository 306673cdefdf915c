// Placeholder until the GGUF reader lands (issue 5).
#include "kvlm/error.hpp"
#include "kvlm/io/load.hpp"

namespace kvlm {
ModelSource open_gguf(const std::filesystem::path& path) {
  throw Error("cannot read " + path.string() + ": GGUF support is not built yet");
}
}  // namespace kvlm
