// llama.cpp's tensor names and HF's, side by side, for each architecture kvlm runs: the one table
// gguf_model.cpp reads a GGUF through and gguf_from_hf.cpp writes one with.
// Not gguf-py's TensorNameMap: no aliases, only the names convert_hf_to_gguf.py writes for these models.
#pragma once

#include <span>
#include <string>

#include "kvlm/config.hpp"

namespace kvlm::gguf {

// One tensor under both names, without the ".weight" / ".bias" suffix they share.
struct NamePair {
  const char* gguf;        // "token_embd", or "attn_q" in blk.N.attn_q.weight
  const char* hf;          // "model.embed_tokens", or "self_attn.q_proj" in model.layers.N.self_attn.q_proj.weight
  bool transpose = false;  // GPT-2's Conv1D weights: HF stores them (in, out), llama.cpp (out, in)
};

// Tensors outside the layers: token_embd, position_embd (GPT-2), output_norm, output.
std::span<const NamePair> global_names(Architecture arch);
// The parts of one layer, in the order llama.cpp's converter writes them.
std::span<const NamePair> block_names(Architecture arch);
// Where HF keeps layer N's tensors: "model.layers.N." or GPT-2's "transformer.h.N.".
std::string hf_layer_prefix(Architecture arch, int layer);

}  // namespace kvlm::gguf
