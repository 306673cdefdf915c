// MappedFile: a read-only view of a whole file (mmap), with bounds-checked access.
// Not a parser: formats read through bytes() and check every offset against size() first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace kvlm {

class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);  // throws kvlm::Error if unreadable
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }
  // bytes [offset, offset + length), or kvlm::Error("<file> is truncated: <what> ...") if past the end.
  std::span<const std::byte> slice(uint64_t offset, uint64_t length, const std::string& what) const;

 private:
  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace kvlm
