// random_model: a Model of any shape with random weights, for benchmarks and thread tests.
// Not a trained model: its outputs mean nothing, but its cost is exactly that of the real shape.
#pragma once

#include <cstdint>

#include "kvlm/model/weights.hpp"

namespace kvlm {

// Llama/Qwen2-style weights (no biases unless config.attention_bias), normal(0, std) entries,
// norms set to 1. Deterministic for a seed.
Model random_model(const ModelConfig& config, uint64_t seed = 0, float std = 0.02f);

// SmolLM2-135M's shape, from its config.json (HuggingFaceTB/SmolLM2-135M-Instruct).
ModelConfig smollm2_135m_config();

}  // namespace kvlm
