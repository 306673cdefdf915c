// What every kvlm fuzz harness shares: the bytes written to a file the loaders can open, and the
// rule that the only acceptable failure is kvlm::Error. Not a harness itself (see fuzz_*.cpp).
//
// The loaders take paths (they mmap or stream files), so each input is written to one file per
// process in a private folder under /dev/shm (RAM) when it exists, else the temp directory. The file
// name matters: load_tokenizer and load_model pick the reader by extension.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "kvlm/error.hpp"

namespace kvlm::fuzz {

// A folder private to this process, created on first use and removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    namespace fs = std::filesystem;
    const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    fs::path d = base / ("kvlm-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  static const struct Cleanup {
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    }
  } cleanup;
  return dir;
}

// Writes the input to scratch_dir()/name (replacing the previous input) and returns its path.
inline std::filesystem::path write_input(const uint8_t* data, size_t size, const std::string& name) {
  const auto path = scratch_dir() / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) std::abort();  // the disk, not kvlm: stop rather than report a false finding
  return path;
}

// Runs f; kvlm::Error is the documented way to refuse bad input, so it is swallowed. Anything else
// (std::bad_alloc, nlohmann::json::exception, std::out_of_range, ...) propagates and libFuzzer
// reports it as a crash, as do sanitizer reports, timeouts and running out of memory.
template <class F>
void allow_kvlm_error(F&& f) {
  try {
    f();
  } catch (const kvlm::Error&) {
  }
}

}  // namespace kvlm::fuzz
