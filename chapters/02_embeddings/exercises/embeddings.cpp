// Chapter 02 exercises: fill in embed_tokens (exercise 1) and add_position_embeddings (exercise 2).
// Not graded by reading: test_embed_tokens.cpp and test_position_embeddings.cpp compare with HF.
#include <stdexcept>

#include "exercises.hpp"
#include "kvlm/error.hpp"

namespace kvlm::exercises {

// Exercise 1. Allocate x with one row per id and D = table.cols() columns; copy row ids[t] of the
// table into row t. An id < 0 or >= table.rows() is not a token: throw kvlm::Error with a message
// that names the id (a lookup out of bounds would read whatever memory lies past the table).
Matrix embed_tokens(const Matrix& table, std::span<const int> ids) {
  (void)table;
  (void)ids;
  throw std::logic_error("exercise: not implemented: embed_tokens (chapters/02_embeddings/exercises/embeddings.cpp)");
}

// Exercise 2. Row t of x sits at position start_pos + t: add row start_pos + t of the table.
// Throw kvlm::Error if start_pos < 0 or the last position start_pos + T - 1 is past the table.
void add_position_embeddings(Matrix& x, const Matrix& table, int start_pos) {
  (void)x;
  (void)table;
  (void)start_pos;
  throw std::logic_error(
      "exercise: not implemented: add_position_embeddings (chapters/02_embeddings/exercises/embeddings.cpp)");
}

}  // namespace kvlm::exercises
