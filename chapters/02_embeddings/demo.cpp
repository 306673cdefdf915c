// Chapter 02 demo: the embedding rows of a word's tokens, and each token's nearest neighbours
// (cosine similarity) in the model's embedding table.
// Not a semantic search engine: on a fixture (random weights) the neighbours mean nothing, and
// the demo says so; on SmolLM2 they are the words the model learned to treat alike.
//
//   ch02_demo [MODEL] [WORD]     MODEL: HF folder, .gguf or llama2.c .bin (default: SmolLM2, else a fixture)
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include "common/demo.hpp"
#include "kvlm/model/embeddings.hpp"

using namespace kvlm;

namespace {

constexpr int kNeighbours = 6;
constexpr int kDimsShown = 6;

// cosine(row a, row b) for every row b of the table: one [V] vector.
Vector cosine_to_all(const Matrix& table, int id) {
  const Vector norms = table.rowwise().norm();
  const Vector dots = table * table.row(id).transpose();  // [V]
  return dots.cwiseQuotient(norms * norms(id));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const chapters::DemoModel d = chapters::load_demo_model(std::min(argc, 2), argv);
    const std::string word = argc > 2 ? argv[2] : " king";
    const Matrix& table = d.model.weights.embed_tokens.fp32();  // [V, D], fp32 (chapter 08 keeps it in blocks)

    std::vector<int> ids;
    if (d.tokenizer) {
      ids = d.tokenizer->encode(word, /*add_special_tokens=*/false);
      std::printf("word \"%s\" -> %zu token(s)\n", word.c_str(), ids.size());
    } else {
      ids = {chapters::demo_prompt(d, "").at(1)};
      std::printf("no tokenizer: showing token #%d, the second id of the fixture's prompt p1\n", ids[0]);
    }

    // The lookup itself: row ids[t] of the table (src/kvlm/model/embeddings.cpp).
    const Matrix x = embed_tokens(table, ids);  // [T, D]
    std::printf("embed_tokens: table [%ld, %ld] -> x [%ld, %ld]\n\n", static_cast<long>(table.rows()),
                static_cast<long>(table.cols()), static_cast<long>(x.rows()), static_cast<long>(x.cols()));

    for (size_t t = 0; t < ids.size(); ++t) {
      std::printf("%s  row %d: [", chapters::show_token(d, ids[t]).c_str(), ids[t]);
      for (int i = 0; i < std::min<int>(kDimsShown, static_cast<int>(x.cols())); ++i)
        std::printf("%s%+.4f", i ? ", " : "", x(static_cast<Eigen::Index>(t), i));
      std::printf(", ...]  |x| = %.4f\n", x.row(static_cast<Eigen::Index>(t)).norm());

      const Vector cos = cosine_to_all(table, ids[t]);
      std::vector<int> order(static_cast<size_t>(cos.size()));
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + kNeighbours + 1, order.end(),
                        [&](int a, int b) { return cos(a) > cos(b); });
      std::printf("  nearest by cosine:");
      for (int k = 1; k <= kNeighbours; ++k)  // order[0] is the token itself (cosine 1)
        std::printf(" %s %.3f", chapters::show_token(d, order[k]).c_str(), cos(order[k]));
      std::printf("\n\n");
    }

    const ModelConfig& c = d.model.config;
    std::printf("tied embeddings: %s\n", c.tie_word_embeddings
                                             ? "yes: the LM head reuses this table (logits = x E^T)"
                                             : "no: the LM head has its own [V, D] matrix");
    if (c.architecture == Architecture::kGpt2)
      std::printf("GPT-2 also adds a learned position row: embed_positions [%ld, %ld]\n",
                  static_cast<long>(d.model.weights.embed_positions.rows()),
                  static_cast<long>(d.model.weights.embed_positions.cols()));
    else
      std::printf("no position rows: %s models get positions from RoPE inside attention (chapter 03)\n",
                  to_string(c.architecture).c_str());
    if (d.is_fixture())
      std::printf("(fixture with random weights: the neighbours above are noise; run on SmolLM2 for real ones)\n");
  } catch (const std::exception& e) {
    std::cerr << "ch02_demo: " << e.what() << "\n";
    return 1;
  }
}
