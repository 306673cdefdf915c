// The decoder steps, each a function from a list of token strings to a list of token strings.
// Not offsets or streaming: decode the whole id list at once.
#include "kvlm/tokenizer/decoder.hpp"


#include "kvlm/tokenizer/byte_level.hpp"
#include "kvlm/utf8.hpp"

namespace kvlm {

namespace {

// Every character back to its byte; a token with a character outside the table keeps its own
// UTF-8 bytes. Then the bytes are read as UTF-8, with U+FFFD where they are not text.
std::vector<std::string> byte_level_decode(const std::vector<std::string>& tokens) {
  std::string bytes;
  for (const std::string& token : tokens) {
    std::string mapped;
    bool all_mapped = true;
    for (std::size_t pos = 0; pos < token.size() && all_mapped;) {
      int len;
      const auto b = byte_level::byte_of_char(utf8::decode(token, pos, &len));
      if (b) mapped += static_cast<char>(*b);
      else all_mapped = false;
      pos += len;
    }
    bytes += all_mapped ? mapped : token;
  }
  return {utf8::repair(bytes)};
}

std::vector<std::string> replace(const std::vector<std::string>& tokens, const DecoderStep& step) {
  std::vector<std::string> out;
  for (const std::string& token : tokens) {
    std::string s;
    std::size_t pos = 0;
    for (std::size_t hit; !step.pattern.empty() && (hit = token.find(step.pattern, pos)) != std::string::npos;
         pos = hit + step.pattern.size())
      s.append(token, pos, hit - pos).append(step.content);
    out.push_back(s.append(token, pos));
  }
  return out;
}

// "<0xNN>" as a byte value, or -1.
int byte_token_value(const std::string& token) {
  if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return -1;
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  const int high = hex(token[3]), low = hex(token[4]);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

// A run of byte tokens becomes the text they spell, or one U+FFFD per byte if it is not UTF-8.
std::vector<std::string> byte_fallback(const std::vector<std::string>& tokens) {
  std::vector<std::string> out;
  std::string pending;  // bytes of the current run
  int pending_count = 0;
  auto flush = [&] {
    if (pending_count == 0) return;
    if (!utf8::first_invalid_byte(pending)) {
      out.push_back(pending);
    } else {
      for (int i = 0; i < pending_count; ++i) out.emplace_back(utf8::kReplacementChar);
    }
    pending.clear();
    pending_count = 0;
  };
  for (const std::string& token : tokens) {
    const int b = byte_token_value(token);
    if (b >= 0) {
      pending += static_cast<char>(b);
      ++pending_count;
    } else {
      flush();
      out.push_back(token);
    }
  }
  flush();
  return out;
}

std::vector<std::string> fuse(const std::vector<std::string>& tokens) {
  std::string all;
  for (const std::string& t : tokens) all += t;
  return {all};
}

std::vector<std::string> strip(const std::vector<std::string>& tokens, const DecoderStep& step) {
  std::vector<std::string> out;
  const std::string& c = step.content;
  for (std::string token : tokens) {
    for (int i = 0; i < step.start && !c.empty() && token.rfind(c, 0) == 0; ++i) token.erase(0, c.size());
    for (int i = 0; i < step.stop && !c.empty() && token.size() >= c.size() &&
                    token.compare(token.size() - c.size(), c.size(), c) == 0;
         ++i)
      token.erase(token.size() - c.size());
    out.push_back(token);
  }
  return out;
}

}  // namespace

std::string decode_tokens(std::span<const DecoderStep> steps, std::vector<std::string> tokens) {
  if (steps.empty()) {
    std::string joined;
    for (std::size_t i = 0; i < tokens.size(); ++i) joined += (i ? " " : "") + tokens[i];
    return joined;
  }
  for (const DecoderStep& step : steps) {
    switch (step.kind) {
      case DecoderStep::Kind::kByteLevel: tokens = byte_level_decode(tokens); break;
      case DecoderStep::Kind::kReplace: tokens = replace(tokens, step); break;
      case DecoderStep::Kind::kByteFallback: tokens = byte_fallback(tokens); break;
      case DecoderStep::Kind::kFuse: tokens = fuse(tokens); break;
      case DecoderStep::Kind::kStrip: tokens = strip(tokens, step); break;
    }
  }
  std::string text;
  for (const std::string& t : tokens) text += t;
  return text;
}

}  // namespace kvlm
