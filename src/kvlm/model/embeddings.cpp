// Embedding lookups; see embeddings.hpp.
#include "kvlm/model/embeddings.hpp"

#include "kvlm/error.hpp"

namespace kvlm {

namespace {

template <typename Table>  // Matrix or LinearWeight: both have rows(), cols() and row(i)
Matrix look_up(const Table& table, std::span<const int> ids) {
  Matrix x(static_cast<Eigen::Index>(ids.size()), table.cols());
  for (size_t t = 0; t < ids.size(); ++t) {
    if (ids[t] < 0 || ids[t] >= table.rows())
      throw Error("token id " + std::to_string(ids[t]) + " is outside the vocabulary of " +
                  std::to_string(table.rows()) + " tokens");
    x.row(static_cast<Eigen::Index>(t)) = table.row(ids[t]);
  }
  return x;
}

}  // namespace

Matrix embed_tokens(const Matrix& table, std::span<const int> ids) { return look_up(table, ids); }
Matrix embed_tokens(const LinearWeight& table, std::span<const int> ids) { return look_up(table, ids); }

void add_position_embeddings(Matrix& x, const Matrix& table, int start_pos) {
  if (start_pos < 0 || start_pos + x.rows() > table.rows())
    throw Error("position " + std::to_string(start_pos + x.rows() - 1) + " is past the model's " +
                std::to_string(table.rows()) + " learned positions");
  x += table.middleRows(start_pos, x.rows());
}

}  // namespace kvlm
