// A minimal protobuf wire-format reader: varints, fixed32/64, length-delimited fields, with
// bounds checks so that a truncated or corrupt file throws instead of reading past the end.
// Not a protobuf library: no schema, no writing; the caller knows which field numbers it wants.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "kvlm/error.hpp"

namespace kvlm {

class ProtobufReader {
 public:
  enum WireType { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

  ProtobufReader(std::string_view data, std::string what) : data_(data), what_(std::move(what)) {}

  bool done() const { return pos_ >= data_.size(); }

  // Reads a field's key; returns its number and sets the wire type.
  std::uint32_t next_field(WireType* wire_type) {
    const std::uint64_t key = varint();
    *wire_type = static_cast<WireType>(key & 7);
    if (key >> 3 == 0) fail("a field number 0");
    return static_cast<std::uint32_t>(key >> 3);
  }

  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) fail("a varint cut short");
      const auto byte = static_cast<unsigned char>(data_[pos_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    fail("a varint longer than 10 bytes");
  }

  float fixed32_float() {
    const std::string_view b = take(4);
    float f;
    std::memcpy(&f, b.data(), 4);  // protobuf is little-endian, as the machines we run on
    return f;
  }

  std::string_view length_delimited() { return take(varint()); }

  void skip(WireType wire_type) {
    switch (wire_type) {
      case kVarint: varint(); break;
      case kFixed64: take(8); break;
      case kLengthDelimited: length_delimited(); break;
      case kFixed32: take(4); break;
      default: fail("an unknown wire type " + std::to_string(static_cast<int>(wire_type)));
    }
  }

  [[noreturn]] void fail(const std::string& what_was_found) const {
    throw Error(what_ + " is corrupt or truncated: " + what_was_found + " at byte " + std::to_string(pos_));
  }

 private:
  std::string_view take(std::uint64_t n) {
    if (n > data_.size() - pos_) fail("a field longer than the data left");
    const std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  std::string_view data_;
  std::string what_;
  std::size_t pos_ = 0;
};

}  // namespace kvlm
