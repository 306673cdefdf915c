// kvlm::Error: the one exception kvlm throws for bad input (files, shapes, ids, text).
// Not a logging system: the message is one sentence a user can act on; the CLI prints it and exits 1.
#pragma once

#include <stdexcept>
#include <string>

namespace kvlm {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace kvlm
