// cuda::Decoder (chapter 07): the model on the GPU, as the generation loops drive it
// (generate/decoder.hpp): cuda::forward on weights uploaded once, and cuda::KVCache. With it,
// generate_naive and generate_cached run on the GPU unchanged.
// Not for traces (attention rows stay on the GPU) or chapter 09's cache variants: those say so.
#pragma once

#include "kvlm/cuda/transformer.hpp"
#include "kvlm/generate/decoder.hpp"

namespace kvlm::cuda {

class Decoder : public kvlm::Decoder {
 public:
  // Uploads the weights (cuda::upload's checks); forward runs the fast kernels unless told kPlain.
  explicit Decoder(const kvlm::Model& model, Kernels kernels = Kernels::kFast);
  const kvlm::Model& model() const override { return host_; }
  Matrix forward(std::span<const int> ids, int start_pos, kvlm::KVCache* cache, ForwardTrace* trace,
                 int logits_to_keep) const override;
  std::unique_ptr<kvlm::KVCache> make_cache(const KVCacheOptions& options, int max_positions) const override;
  bool traces() const override { return false; }

 private:
  const kvlm::Model& host_;
  Model device_;
};

}  // namespace kvlm::cuda
