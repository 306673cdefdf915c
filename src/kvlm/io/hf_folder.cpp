// An HF model folder: config.json plus model.safetensors, or shards listed in model.safetensors.index.json.
// Not a hub client: the folder must already be on disk.
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "kvlm/error.hpp"
#include "kvlm/io/hf_config.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/io/safetensors.hpp"
#include "kvlm/printable.hpp"

namespace kvlm {
namespace {

// Several safetensors shards seen as one TensorFile, routed by the index's weight_map.
class ShardedSafetensors : public TensorFile {
 public:
  explicit ShardedSafetensors(const std::filesystem::path& index_path) {
    std::ifstream in(index_path);
    nlohmann::json j;
    try {
      in >> j;
    } catch (const nlohmann::json::exception&) {
      throw Error(index_path.filename().string() + " is not valid JSON");
    }
    if (!j.contains("weight_map") || !j["weight_map"].is_object())
      throw Error(index_path.filename().string() + " has no \"weight_map\" object");
    std::map<std::string, size_t> shard_index;
    for (const auto& [name, file] : j["weight_map"].items()) {
      if (!file.is_string()) throw Error(index_path.filename().string() + ": the shard of '" + printable(name) + "' is not a file name");
      const std::string shard = file.get<std::string>();
      // A shard is a file in the model's folder: a path ("../x", "/etc/x", "a/b") would read elsewhere.
      if (shard.empty() || shard.find('/') != std::string::npos || shard.find('\\') != std::string::npos ||
          shard == "." || shard == "..")
        throw Error(index_path.filename().string() + ": the shard \"" + printable(shard) +
                    "\" is not a file name in the model's folder");
      if (!shard_index.count(shard)) {
        shard_index[shard] = shards_.size();
        shards_.push_back(std::make_unique<SafetensorsFile>(index_path.parent_path() / shard));
      }
      const size_t s = shard_index[shard];
      if (!shards_[s]->contains(name)) throw Error(printable(shard) + " has no tensor '" + printable(name) + "' although the index lists it there");
      owner_[name] = s;
    }
  }
  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    for (const auto& [name, s] : owner_) out.push_back(name);
    return out;
  }
  bool contains(const std::string& name) const override { return owner_.count(name) != 0; }
  Shape shape(const std::string& name) const override { return shard(name).shape(name); }
  Tensor read(const std::string& name) const override { return shard(name).read(name); }
  std::string describe() const override { return "model.safetensors shards"; }

 private:
  const SafetensorsFile& shard(const std::string& name) const {
    auto it = owner_.find(name);
    if (it == owner_.end()) throw Error("the model's shards have no tensor '" + printable(name) + "'");
    return *shards_[it->second];
  }
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::map<std::string, size_t> owner_;
};

}  // namespace

ModelSource open_hf_folder(const std::filesystem::path& folder) {
  const auto config = folder / "config.json";
  if (!std::filesystem::exists(config)) throw Error(folder.string() + " has no config.json (is it an HF model folder?)");
  ModelSource source{read_hf_config(config), nullptr};
  if (std::filesystem::exists(folder / "model.safetensors.index.json"))
    source.tensors = std::make_unique<ShardedSafetensors>(folder / "model.safetensors.index.json");
  else if (std::filesystem::exists(folder / "model.safetensors"))
    source.tensors = std::make_unique<SafetensorsFile>(folder / "model.safetensors");
  else
    throw Error(folder.string() + " has neither model.safetensors nor model.safetensors.index.json");
  return source;
}

}  // namespace kvlm
