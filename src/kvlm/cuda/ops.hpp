// The CUDA twins of model/'s ops (chapter 07), with the CPU names and the CPU's row-major layouts.
// Each is the plain kernel, the teaching version: one GPU thread (or one block) does what one pass
// of the CPU loop does, so that the two read side by side. The faster versions of linear and attention
// sit beside these in fast_ops.hpp and are tested against them.
//
// Every float pointer is device memory (cuda::DeviceArray); ids and the other ints are host values.
// Each function launches on the default stream and throws kvlm::Error when the launch fails. Not a
// forward pass: cuda/transformer.cpp strings these together into one.
#pragma once

namespace kvlm::cuda {

// x[t] = table[ids[t]] -> out [T, dim], ids T host values. Throws kvlm::Error for an id outside
// [0, vocab), before any launch.
void embed_tokens(const float* table, int vocab, int dim, const int* ids, int T, float* out);
// GPT-2: x[t] += table[start_pos + t], x [T, dim]. The caller checks the positions fit the table.
void add_position_embeddings(float* x, const float* table, int T, int dim, int start_pos);

// y = x / sqrt(mean(x^2) + eps) * weight, row by row; x, y [T, D]. The mean is summed in double, as
// on the CPU (norms.cpp).
void rms_norm(const float* x, const float* weight, int T, int D, float eps, float* y);
// y = (x - mean) / sqrt(var + eps) * weight + bias, row by row (biased variance, in double).
void layer_norm(const float* x, const float* weight, const float* bias, int T, int D, float eps, float* y);

// Rotates every head of x [T, num_heads * head_dim] in place by the angles cos, sin [T, head_dim / 2]:
// pairs (i, i + head_dim / 2) (HF rotate_half) or, interleaved, (2i, 2i + 1) (Meta, llama2.c).
void apply_rope(float* x, int T, int num_heads, int head_dim, const float* cos, const float* sin, bool interleaved);

// y = x W^T + b: x [T, in], w [out, in] (nn.Linear's layout), bias [out] or nullptr -> y [T, out].
void linear(const float* x, const float* w, const float* bias, int T, int in, int out, float* y);

// Causal attention with GQA: q [T, H * hd] at positions start_pos .. start_pos + T - 1; k, v
// [S, KV * hd] the keys and values of positions 0 .. S - 1 (a contiguous cache); head h reads KV
// head h / (H / KV). A query sees the keys at positions <= its own, and with sliding_window > 0 only
// the last sliding_window of them. out [T, H * hd].
void scaled_dot_product_attention(const float* q, const float* k, const float* v, int T, int S, int num_heads,
                                  int num_kv_heads, int head_dim, int start_pos, float scale, int sliding_window,
                                  float* out);

// attention.cpp's softmax step, alone: scores [T, num_heads, S], row (t, h) the scores of the query at
// position start_pos + t against keys 0 .. S - 1. Each row becomes its softmax over the keys that
// query sees (causal, and the sliding window when > 0); the keys it does not see get exactly 0.
// fast::scaled_dot_product_attention (fast_ops.hpp) runs it between its scores and its weighted sum.
void causal_softmax(float* scores, int T, int num_heads, int S, int start_pos, int sliding_window);

// The residual stream's element-wise steps over n values: x += a (a residual), x *= s (Gemma's
// embedding scale).
void add(float* x, const float* a, long n);
void scale(float* x, long n, float s);

// The MLP's activations, element by element over n values.
void silu_mul(float* gate, const float* up, long n);       // gate = silu(gate) * up        (SwiGLU)
void gelu_tanh_mul(float* gate, const float* up, long n);  // gate = gelu_tanh(gate) * up   (Gemma's GeGLU)
void gelu_tanh(float* x, long n);                          // x = gelu_tanh(x)              (GPT-2)

// The index of the largest of n values, ties to the lowest (as the CPU's argmax and torch.argmax).
int argmax(const float* x, int n);

}  // namespace kvlm::cuda
