// Where tests find their inputs: the project's own fixtures (data/) and, when present, ../shared.
// Not a fixture loader: each test reads what it needs through these paths.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace kvlm::test {

// data/ in the source tree, or $KVLM_DATA_DIR (test binaries run elsewhere: scripts/gpu-check.sh).
inline std::filesystem::path data_dir() {
  if (const char* env = std::getenv("KVLM_DATA_DIR")) return env;
  return KVLM_DATA_DIR;
}

// ../shared beside the clone, or $KVLM_SHARED_DIR. May not exist: use shared_available().
inline std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("KVLM_SHARED_DIR")) return env;
  return KVLM_SHARED_DIR_DEFAULT;
}

inline bool shared_available() { return std::filesystem::is_directory(shared_dir() / "models"); }

// models/ (scripts/fetch-models.sh puts SmolLM2 there), or $KVLM_MODELS_DIR. May not hold it.
inline std::filesystem::path models_dir() {
  if (const char* env = std::getenv("KVLM_MODELS_DIR")) return env;
  return KVLM_MODELS_DIR;
}

inline std::filesystem::path kvlm_binary() { return KVLM_BINARY; }

}  // namespace kvlm::test

// Skip the current test with a clear message when ../shared is absent (a plain clone).
#define KVLM_REQUIRE_SHARED()                                                              \
  do {                                                                                     \
    if (!::kvlm::test::shared_available())                                                 \
      GTEST_SKIP() << "../shared not found at " << ::kvlm::test::shared_dir()              \
                   << " (set KVLM_SHARED_DIR); skipping the test against it";              \
  } while (0)
