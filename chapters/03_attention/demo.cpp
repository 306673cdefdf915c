// Chapter 03 demo: one attention head of layer 0, its weights under the causal mask, computed
// without RoPE and then with it; the GQA head mapping; and RoPE's "only the distance matters".
// Not forward(): it calls the same functions one by one (the trace check at the end ties them).
//
//   ch03_demo [MODEL] [HEAD]   MODEL: HF folder, .gguf or llama2.c .bin (default: SmolLM2, else a fixture)
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common/demo.hpp"
#include "kvlm/model/attention.hpp"
#include "kvlm/model/embeddings.hpp"
#include "kvlm/model/linear.hpp"
#include "kvlm/model/norms.hpp"
#include "kvlm/model/rope.hpp"
#include "kvlm/model/transformer.hpp"

using namespace kvlm;

namespace {

constexpr int kMaxTokens = 8;  // the matrix stays readable

void print_weights(const chapters::DemoModel& d, const std::vector<int>& ids, const Matrix& p) {
  std::printf("%14s", "query \\ key");
  for (size_t s = 0; s < ids.size(); ++s) std::printf("%7zu", s);
  std::printf("\n");
  for (Eigen::Index t = 0; t < p.rows(); ++t) {
    std::string label = chapters::show_token(d, ids[static_cast<size_t>(t)]);
    if (label.size() > 10) label = label.substr(0, 10);
    std::printf("%2ld %11s", static_cast<long>(t), label.c_str());
    for (Eigen::Index s = 0; s < p.cols(); ++s) {
      if (s > t) std::printf("%7s", ".");  // masked: a query never sees a later key
      else std::printf("%7.3f", p(t, s));
    }
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const chapters::DemoModel d = chapters::load_demo_model(std::min(argc, 2), argv);
    const ModelConfig& c = d.model.config;
    const int head = argc > 2 ? std::stoi(argv[2]) : 0;
    if (head < 0 || head >= c.num_attention_heads) throw std::runtime_error("no such head");
    std::vector<int> ids = chapters::demo_prompt(d, "The cat sat on the mat because it was");
    if (ids.size() > kMaxTokens) ids.resize(kMaxTokens);
    const int T = static_cast<int>(ids.size());
    const LayerWeights& w = d.model.weights.layers[0];

    // Layer 0's input, normalized; then q [T, H*hd], k and v [T, KV*hd].
    Matrix x = embed_tokens(d.model.weights.embed_tokens, ids);
    if (c.architecture == Architecture::kGpt2) add_position_embeddings(x, d.model.weights.embed_positions, 0);
    const Matrix h = norm(c, x, w.input_layernorm, w.input_layernorm_bias);
    Matrix q = linear(h, w.q_proj, w.q_bias), k = linear(h, w.k_proj, w.k_bias);
    const Matrix v = linear(h, w.v_proj, w.v_bias);
    std::printf("layer 0: x [%d, %d] -> q [%ld, %ld], k [%ld, %ld], v [%ld, %ld]\n", T, c.hidden_size,
                static_cast<long>(q.rows()), static_cast<long>(q.cols()), static_cast<long>(k.rows()),
                static_cast<long>(k.cols()), static_cast<long>(v.rows()), static_cast<long>(v.cols()));
    std::printf("GQA: %d query heads share %d KV heads (groups of %d): query head h reads KV head h / %d:",
                c.num_attention_heads, c.num_key_value_heads, c.num_key_value_groups(), c.num_key_value_groups());
    for (int hq = 0; hq < c.num_attention_heads; ++hq) std::printf(" %d->%d", hq, hq / c.num_key_value_groups());
    std::printf("\n\n");

    std::vector<Matrix> probs;
    scaled_dot_product_attention(q, k, v, c.num_attention_heads, c.num_key_value_heads, c.head_dim, 0, &probs);
    std::printf("head %d, weights softmax(q k^T / sqrt(%d)) under the causal mask, WITHOUT RoPE:\n", head, c.head_dim);
    print_weights(d, ids, probs[head]);

    if (c.rope_layout == RopeLayout::kNone) {
      std::printf("\n%s has no RoPE: it added learned position rows to x instead (chapter 02).\n",
                  to_string(c.architecture).c_str());
      return 0;
    }
    const RopeAngles angles = rope_angles(c.head_dim, c.rope_theta, 0, T);
    apply_rope(q, c.num_attention_heads, c.head_dim, angles, c.rope_layout);
    apply_rope(k, c.num_key_value_heads, c.head_dim, angles, c.rope_layout);
    scaled_dot_product_attention(q, k, v, c.num_attention_heads, c.num_key_value_heads, c.head_dim, 0, &probs);
    std::printf("\nthe same head WITH RoPE (%s, theta %.0f): position now changes the weights\n",
                to_string(c.rope_layout).c_str(), c.rope_theta);
    print_weights(d, ids, probs[head]);

    // RoPE makes q.k depend on the distance between positions only: rotate the same q and k to
    // positions (7, 3) and to (27, 23); the dot products agree.
    const int kv_head = head / c.num_key_value_groups();  // the KV head this query head reads
    const Matrix q1 = q.row(0).segment(head * c.head_dim, c.head_dim), k1 = k.row(0).segment(kv_head * c.head_dim, c.head_dim);
    auto rotated_dot = [&](int pos_q, int pos_k) {
      Matrix a = q1, b = k1;
      apply_rope(a, 1, c.head_dim, rope_angles(c.head_dim, c.rope_theta, pos_q, 1), c.rope_layout);
      apply_rope(b, 1, c.head_dim, rope_angles(c.head_dim, c.rope_theta, pos_k, 1), c.rope_layout);
      return a.row(0).dot(b.row(0));
    };
    std::printf("\nhead %d, q.k at positions (7, 3) = %.5f, at (27, 23) = %.5f, at (7, 5) = %.5f\n", head,
                rotated_dot(7, 3), rotated_dot(27, 23), rotated_dot(7, 5));

    ForwardTrace trace;
    trace.keep_attention = true;
    forward(d.model, ids, 0, nullptr, &trace);
    std::printf("forward()'s ForwardTrace::attention[0][%d] vs the matrix above: max |diff| = %.2e\n", head,
                (trace.attention[0][head] - probs[head]).cwiseAbs().maxCoeff());
  } catch (const std::exception& e) {
    std::cerr << "ch03_demo: " << e.what() << "\n";
    return 1;
  }
}
