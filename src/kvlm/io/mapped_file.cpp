// MappedFile: mmap a file read-only; see mapped_file.hpp.
#include "kvlm/io/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kvlm/error.hpp"

namespace kvlm {

MappedFile::MappedFile(const std::filesystem::path& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw Error("cannot open " + path.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path.string() + " is not a regular file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      throw Error("cannot map " + path.string() + ": " + std::strerror(errno));
    }
    data_ = static_cast<const std::byte*>(p);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
}

std::span<const std::byte> MappedFile::slice(uint64_t offset, uint64_t length,
                                             const std::string& what) const {
  if (offset > size_ || length > size_ - offset)
    throw Error(path_.filename().string() + " is truncated or corrupt: " + what + " needs bytes [" +
                std::to_string(offset) + ", " + std::to_string(offset + length) +
                ") but the file has " + std::to_string(size_));
  return {data_ + offset, static_cast<size_t>(length)};
}

}  // namespace kvlm
