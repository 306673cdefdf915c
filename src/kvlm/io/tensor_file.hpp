// TensorFile: a model file seen as named fp32 tensors in HF's names and layouts.
// Not a format: safetensors.hpp, hf_folder.cpp (shards), gguf.hpp and llama2c.cpp implement it;
// weights.cpp consumes it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kvlm/model/quantized.hpp"
#include "kvlm/tensor.hpp"

namespace kvlm {

class TensorFile {
 public:
  virtual ~TensorFile() = default;
  virtual std::vector<std::string> names() const = 0;
  virtual bool contains(const std::string& name) const = 0;
  virtual Shape shape(const std::string& name) const = 0;
  // Reads one tensor, converted to fp32 (F16, BF16, quantized blocks are expanded here).
  // Throws kvlm::Error naming the tensor when it is missing or its bytes are out of bounds.
  virtual Tensor read(const std::string& name) const = 0;
  // A 2-D weight stored in blocks that linear() multiplies in place (Q8_0, Q4_0, Q4_1: chapter 08),
  // in HF's (out, in) layout, viewed without a copy; nullopt for every other tensor (read() it).
  virtual std::optional<QuantizedMatrix> read_blocks(const std::string& /*name*/) const { return std::nullopt; }
  // For error messages: "model.safetensors", "model.gguf", ...
  virtual std::string describe() const = 0;
};

// Reads `name` and checks its shape: a wrong file fails with the tensor's name and both shapes.
Tensor read_checked(const TensorFile& file, const std::string& name, const Shape& expected);

// A TensorFile that scans every tensor it reads for NaN and Inf (kvlm --check-tensors): the first
// one found fails with the tensor's name and the flat index of the value, row-major in HF's shape.
class FiniteTensors : public TensorFile {
 public:
  explicit FiniteTensors(const TensorFile& file) : file_(file) {}
  std::vector<std::string> names() const override { return file_.names(); }
  bool contains(const std::string& name) const override { return file_.contains(name); }
  Shape shape(const std::string& name) const override { return file_.shape(name); }
  Tensor read(const std::string& name) const override;
  std::optional<QuantizedMatrix> read_blocks(const std::string& name) const override;  // checks the scales too
  std::string describe() const override { return file_.describe(); }

 private:
  const TensorFile& file_;
};

}  // namespace kvlm
