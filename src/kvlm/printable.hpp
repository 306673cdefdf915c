// printable(): bytes taken from a file or a prompt, made safe to embed in an error message.
// Not a general escaper or quoting function: callers keep their own quotes; only what would make
// the message invalid UTF-8, unreadable or endless is changed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kvlm {

// `bytes` with every byte of invalid UTF-8 and every control character (C0, DEL, C1) written as
// \xNN, cut after at most `max` bytes of input (at a character boundary) with "…" when longer.
// printable("w\xff\n") == "w\\xff\\x0a".
std::string printable(std::string_view bytes, std::size_t max = 64);

}  // namespace kvlm
