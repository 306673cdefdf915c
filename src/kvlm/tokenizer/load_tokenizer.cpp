// load_tokenizer: picks the reader by file name (tokenizer.json, tokenizer.model, tokenizer.bin, .gguf).
// Not a format sniffer beyond that: a file is read as what its name says, and fails clearly if not.
#include "kvlm/error.hpp"
#include "kvlm/tokenizer/chat_template.hpp"
#include "kvlm/tokenizer/gguf_tokenizer.hpp"
#include "kvlm/tokenizer/hf_tokenizer.hpp"
#include "kvlm/tokenizer/sentencepiece.hpp"
#include "kvlm/tokenizer/tokenizer.hpp"

namespace kvlm {

std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  if (fs::is_directory(path)) {
    for (const char* name : {"tokenizer.json", "tokenizer.model", "tokenizer.bin"})
      if (fs::exists(path / name)) return load_tokenizer(path / name);
    throw Error("no tokenizer.json, tokenizer.model or tokenizer.bin in " + path.string());
  }
  if (!fs::exists(path)) throw Error("tokenizer file " + path.string() + " does not exist");
  const std::string ext = path.extension().string();
  if (ext == ".gguf") return load_gguf_tokenizer(path);  // with the GGUF's own chat template
  std::unique_ptr<Tokenizer> tok;
  if (ext == ".json") tok = std::make_unique<HfTokenizer>(read_tokenizer_json(path));
  else if (ext == ".model") tok = std::make_unique<SentencePieceTokenizer>(read_sentencepiece_model(path));
  else if (ext == ".bin") tok = std::make_unique<SentencePieceTokenizer>(read_llama2c_tokenizer_bin(path));
  else throw Error("cannot tell the tokenizer format of " + path.string() + " (expected .json, .model, .bin or .gguf)");
  tok->set_chat_template(read_chat_template(path.parent_path()));  // tokenizer_config.json beside it
  return tok;
}

}  // namespace kvlm
