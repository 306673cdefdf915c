// Chapter 01 demo: one sentence through three real vocabularies: its pre-tokens, tokens and ids.
// Not a benchmark or a test (tests/tokenizer/ checks every id against HF): it shows what BPE does.
//
//   ch01_demo [TOKENIZER...]   tokenizer.json / tokenizer.model / tokenizer.bin / folder / model
// Without arguments: SmolLM2's tokenizer (models/), then ../shared's GPT-2, Llama 2 and Llama 3,
// ($KVLM_SHARED_DIR overrides), then the tiny tokenizers in data/tokenizers; the first three found.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "common/demo.hpp"
#include "kvlm/tokenizer/hf_tokenizer.hpp"
#include "kvlm/tokenizer/sentencepiece.hpp"

namespace fs = std::filesystem;
using namespace kvlm;

namespace {

constexpr const char* kSentence = "The KV cache stores keys and values, unhappily.";
constexpr size_t kVocabulariesShown = 3;

struct Candidate {
  std::string name;
  fs::path path;
};

std::vector<Candidate> default_candidates() {
  std::vector<Candidate> c;
  if (auto smol = chapters::find_smollm2()) c.push_back({"SmolLM2-135M-Instruct", *smol});
  const char* env = std::getenv("KVLM_SHARED_DIR");  // as the tests: the environment overrides CMake's path
  const fs::path shared = env ? fs::path(env) : fs::path(KVLM_SHARED_DIR_DEFAULT);
  c.push_back({"GPT-2 (shared)", shared / "tokenizers" / "gpt2" / "tokenizer.json"});
  c.push_back({"Llama 2 (shared, SentencePiece)", shared / "tokenizers" / "llama2" / "tokenizer.model"});
  c.push_back({"Llama 3 (shared)", shared / "tokenizers" / "llama3" / "tokenizer.json"});
  const fs::path own = chapters::source_dir() / "data" / "tokenizers";
  c.push_back({"tiny_bpe (data/, GPT-2 style)", own / "tiny_bpe" / "tokenizer.json"});
  c.push_back({"tiny_sentencepiece (data/)", own / "tiny_sentencepiece" / "tokenizer.model"});
  c.push_back({"tiny_llama3_style (data/)", own / "tiny_llama3_style" / "tokenizer.json"});
  return c;
}

// Control characters and the two space markers stay visible in the output.
std::string visible(const std::string& token) {
  std::string out;
  for (char ch : token) out += ch == '\n' ? std::string("\\n") : std::string(1, ch);
  return out;
}

void show(const Candidate& c, const Tokenizer& tok) {
  const char* algorithm = dynamic_cast<const SentencePieceTokenizer*>(&tok)
                              ? "SentencePiece BPE: merge the pair with the highest score"
                              : "merge-rank BPE: apply the earliest learned merge first";
  std::printf("== %s: %s\n   %s, vocabulary of %d\n", c.name.c_str(),
              c.path.lexically_proximate(chapters::source_dir()).string().c_str(), algorithm, tok.vocab_size());
  if (const auto* hf = dynamic_cast<const HfTokenizer*>(&tok)) {
    std::printf("   pre-tokens:");
    for (const std::string& p : hf->pre_tokens(kSentence)) std::printf(" [%s]", visible(p).c_str());
    std::printf("\n");
  }
  const std::vector<int> ids = tok.encode(kSentence, /*add_special_tokens=*/false);
  std::printf("   %zu tokens:", ids.size());
  for (int id : ids) std::printf(" %s|%d", visible(tok.token(id)).c_str(), id);
  const std::vector<int> with_special = tok.encode(kSentence, /*add_special_tokens=*/true);
  std::printf("\n   with special tokens: %zu ids, starting", with_special.size());
  for (size_t i = 0; i < std::min<size_t>(3, with_special.size()); ++i) std::printf(" %d", with_special[i]);
  std::printf("\n   decode(ids) == text: %s\n\n", tok.decode(ids) == kSentence ? "yes" : "NO");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::vector<Candidate> candidates;
    for (int i = 1; i < argc; ++i) candidates.push_back({fs::path(argv[i]).parent_path().filename().string(), argv[i]});
    if (candidates.empty()) candidates = default_candidates();
    std::printf("text: \"%s\" (%zu bytes)\n\n", kSentence, std::string(kSentence).size());
    size_t shown = 0;
    for (const Candidate& c : candidates) {
      if (shown == kVocabulariesShown) break;
      if (!fs::exists(c.path)) continue;
      const auto tok = chapters::try_load_tokenizer(c.path);
      if (!tok) {
        std::printf("(%s: no tokenizer this build can read, skipped)\n\n", c.path.string().c_str());
        continue;
      }
      show(c, *tok);
      ++shown;
    }
    if (shown == 0) throw std::runtime_error("no tokenizer found");
    std::printf("'Ġ' is GPT-2's stand-in for the space byte (byte-level BPE); '▁' is SentencePiece's space.\n");
  } catch (const std::exception& e) {
    std::cerr << "ch01_demo: " << e.what() << "\n";
    return 1;
  }
}
