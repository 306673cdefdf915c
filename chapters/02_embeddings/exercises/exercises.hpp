// Chapter 02 exercises: the token embedding lookup and GPT-2's position embeddings, with the
// library's signatures (src/kvlm/model/embeddings.hpp). With KVLM_EXERCISE_SOLUTIONS defined,
// these names are the library's own functions.
#pragma once

#include <span>

#include "kvlm/model/embeddings.hpp"
#include "kvlm/tensor.hpp"

namespace kvlm::exercises {
#ifdef KVLM_EXERCISE_SOLUTIONS
using kvlm::add_position_embeddings;
using kvlm::embed_tokens;
#else
// Exercise 1 (embeddings.cpp): x[t] = embed_tokens[ids[t]] -> [T, D].
// Throws kvlm::Error for an id outside [0, V).
Matrix embed_tokens(const Matrix& embed_tokens /*[V, D]*/, std::span<const int> ids);

// Exercise 2 (embeddings.cpp): GPT-2 adds a learned vector per position:
// x[t] += embed_positions[start_pos + t]. Throws kvlm::Error when a position is past the table.
void add_position_embeddings(Matrix& x /*[T, D]*/, const Matrix& embed_positions /*[max_pos, D]*/, int start_pos);
#endif
}  // namespace kvlm::exercises
