// Embeddings (chapter 02): token ids -> rows of embed_tokens, plus GPT-2's learned positions.
// Not the tokenizer (ids come from chapter 01) and not RoPE (positions for Llama enter in attention).
#pragma once

#include <span>

#include "kvlm/model/linear.hpp"
#include "kvlm/tensor.hpp"

namespace kvlm {

// x[t] = embed_tokens[ids[t]]  -> [T, D]. Throws kvlm::Error for an id outside [0, V).
Matrix embed_tokens(const Matrix& embed_tokens /*[V, D]*/, std::span<const int> ids);
// The same from a table that may be quantized (chapter 08): each looked-up row is widened to fp32.
Matrix embed_tokens(const LinearWeight& embed_tokens /*[V, D]*/, std::span<const int> ids);

// GPT-2: x[t] += embed_positions[start_pos + t]. Throws when a position is past the table.
void add_position_embeddings(Matrix& x /*[T, D]*/, const Matrix& embed_positions /*[max_pos, D]*/, int start_pos);

}  // namespace kvlm
