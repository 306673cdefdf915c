// Exercise 2 of chapter 03: scaled dot-product attention with the causal mask and GQA.
// Not graded by reading: test_attention.cpp runs it inside the model and compares with HF.
#include <stdexcept>

#include "exercises.hpp"

namespace kvlm::exercises {

// For each query head h:
//   1. kv = h / (num_heads / num_kv_heads)   (GQA: HF's repeat_kv; MHA: kv = h; MQA: kv = 0)
//   2. q_h = q.middleCols(h * head_dim, head_dim) [T, hd];  k_h, v_h = k, v .middleCols(kv * head_dim, ...) [S, hd]
//   3. scores = q_h k_h^T / sqrt(head_dim)   [T, S]
//   4. causal mask: row t is the query at position start_pos + t; it may see keys 0 .. start_pos + t,
//      that is the first start_pos + t + 1 columns. Softmax over those only (subtract the row's max
//      before exp, for stability); the masked columns get weight 0.
//   5. out.middleCols(h * head_dim, head_dim) = weights v_h   [T, hd]
//   If probs is not null, store the H weight matrices [T, S] in it (probs->at(h)).
Matrix scaled_dot_product_attention(const MatrixRef& q, const MatrixRef& k, const MatrixRef& v, int num_heads,
                                    int num_kv_heads, int head_dim, int start_pos, std::vector<Matrix>* probs) {
  (void)q;
  (void)k;
  (void)v;
  (void)num_heads;
  (void)num_kv_heads;
  (void)head_dim;
  (void)start_pos;
  (void)probs;
  throw std::logic_error(
      "exercise: not implemented: scaled_dot_product_attention (chapters/03_attention/exercises/attention.cpp)");
}

}  // namespace kvlm::exercises
