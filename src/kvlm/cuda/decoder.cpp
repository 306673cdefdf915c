// cuda::Decoder; see decoder.hpp.
#include "kvlm/cuda/decoder.hpp"

#include "kvlm/error.hpp"

namespace kvlm::cuda {

Decoder::Decoder(const kvlm::Model& model, Kernels kernels) : host_(model), device_(upload(model)) {
  device_.kernels = kernels;
}

Matrix Decoder::forward(std::span<const int> ids, int start_pos, kvlm::KVCache* cache, ForwardTrace* trace,
                        int logits_to_keep) const {
  if (trace) throw Error("traces (--trace, attention maps) run on the CPU only, not with --device cuda");
  KVCache* gpu_cache = nullptr;
  if (cache) {
    gpu_cache = dynamic_cast<KVCache*>(cache);
    if (!gpu_cache) throw Error("a KV cache in CPU memory cannot be used with --device cuda");
  }
  return cuda::forward(device_, ids, start_pos, gpu_cache, logits_to_keep);
}

std::unique_ptr<kvlm::KVCache> Decoder::make_cache(const KVCacheOptions& options, int max_positions) const {
  if (options.kind != "contiguous")
    throw Error("--device cuda has the contiguous KV cache only, not --kv-cache " + options.kind);
  return std::make_unique<KVCache>(host_.config, max_positions);
}

}  // namespace kvlm::cuda
