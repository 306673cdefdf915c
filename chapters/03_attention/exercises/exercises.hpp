// Chapter 03 exercises: RoPE (both layouts) and scaled dot-product attention with the causal mask
// and GQA, with the library's signatures (src/kvlm/model/rope.hpp, attention.hpp).
// With KVLM_EXERCISE_SOLUTIONS defined, these names are the library's own functions.
#pragma once

#include <vector>

#include "kvlm/model/attention.hpp"
#include "kvlm/model/rope.hpp"

namespace kvlm::exercises {
#ifdef KVLM_EXERCISE_SOLUTIONS
using kvlm::apply_rope;
using kvlm::scaled_dot_product_attention;
#else
// Exercise 1 (rope.cpp): rotates every head of x [T, num_heads * head_dim] in place, row t by the
// angles of row t of `angles` (cos, sin: [T, head_dim / 2]).
//   kHalfSplit   (HF rotate_half): dimension i pairs with i + head_dim/2
//   kInterleaved (Meta, llama2.c): dimension 2i pairs with 2i + 1
//   kNone: leave x alone.
void apply_rope(Matrix& x, int num_heads, int head_dim, const RopeAngles& angles, RopeLayout layout);

// Exercise 2 (attention.cpp): softmax(q k^T / sqrt(head_dim) + causal mask) v, head by head.
//   q [T, H*hd] at positions start_pos .. start_pos+T-1;  k, v [S, KV*hd] at positions 0 .. S-1.
//   Query t sees keys 0 .. start_pos + t; query head h reads KV head h / (H / KV).
//   probs, if not null, receives H matrices [T, S] of attention weights (0 where masked).
// Returns [T, H*hd].
Matrix scaled_dot_product_attention(const MatrixRef& q, const MatrixRef& k, const MatrixRef& v, int num_heads,
                                    int num_kv_heads, int head_dim, int start_pos,
                                    std::vector<Matrix>* probs = nullptr);
#endif
}  // namespace kvlm::exercises
