// GgufWriter: metadata and tensors -> a GGUF v3 file, the layout gguf.cpp reads (and llama.cpp and
// gguf-py). Not a converter: the caller decides every key and each tensor's type (kvlm quantize).
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kvlm/io/gguf.hpp"

namespace kvlm::gguf {

class GgufWriter {
 public:
  // Metadata in the order given; a key given twice is refused when the file is written.
  void add(const std::string& key, Value value);
  // A tensor: dims innermost first (ne[0] is the row length), its ggml type, and its bytes.
  void add_tensor(const std::string& name, std::vector<int64_t> ne, TensorType type, std::vector<std::byte> data);
  // magic | version 3 | counts | metadata | tensor infos | padding | data, each tensor at a multiple
  // of general.alignment (32 unless given). Throws kvlm::Error when the file cannot be written.
  void write(const std::filesystem::path& path) const;

 private:
  struct Tensor {
    std::string name;
    std::vector<int64_t> ne;
    TensorType type;
    std::vector<std::byte> data;
  };
  std::vector<std::pair<std::string, Value>> metadata_;
  std::vector<Tensor> tensors_;
};

// kvlm quantize: a copy of the GGUF `in` whose weight matrices (rows of whole blocks) are stored as
// `type` (F32, F16, Q8_0, Q4_0 or Q4_1), everything else as F32; every metadata key is copied and
// general.file_type set as llama.cpp numbers it. Each tensor goes through fp32 on the way.
struct QuantizeReport {
  int tensors = 0, quantized = 0;
  uint64_t bytes_in = 0, bytes_out = 0;  // tensor data only (a folder's counted as fp32)
  std::vector<std::string> warnings;     // what the file lacks, one sentence each (kvlm quantize prints them)
};
QuantizeReport quantize_gguf(const std::filesystem::path& in, const std::filesystem::path& out, TensorType type);

// kvlm quantize from an HF folder (gguf_from_hf.cpp): config.json becomes llama.cpp's {arch}.* keys,
// each tensor takes its llama.cpp name and layout (gguf_names.hpp; llama's Q/K rows permuted, Gemma's
// norms stored as 1 + w, GPT-2's Conv1D weights transposed), stored as quantize_gguf stores them. The
// written file is read back, and must give the folder's ModelConfig, or it is removed and refused.
QuantizeReport quantize_hf_folder(const std::filesystem::path& folder, const std::filesystem::path& out, TensorType type);

// The inverse of read_tokenizer_data: tokenizer.ggml.model, pre, tokens, token_type, merges (when
// any), add_bos_token / add_eos_token (when set) and tokenizer.chat_template (when not ""). The special
// token ids are not written here.
void add_tokenizer_data(GgufWriter& writer, const GgufTokenizerData& data);

// What both take from here. llama.cpp's general.file_type (llama_ftype) for a file of `type`;
// throws kvlm::Error for a type kvlm quantize does not write.
int llama_file_type(TensorType type);
// kvlm quantize's rule for one tensor, by its GGUF name: weight matrices whose rows are whole blocks
// take `type`, except that at 4 bits the output head (`is_head`) takes Q8_0; norms, biases, rope_freqs
// and GPT-2's position table stay F32. Adds the tensor to `writer` and counts it in `report`.
void add_quantized_tensor(GgufWriter& writer, const std::string& name, std::vector<int64_t> ne,
                          std::span<const float> values, TensorType type, bool is_head, QuantizeReport& report);

}  // namespace kvlm::gguf
