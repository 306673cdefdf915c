// The GGUF <-> HF name tables; see gguf_names.hpp. Names as convert_hf_to_gguf.py writes them.
#include "kvlm/io/gguf_names.hpp"

namespace kvlm::gguf {
namespace {

constexpr NamePair kLlamaGlobal[] = {
    {"token_embd", "model.embed_tokens"}, {"output_norm", "model.norm"}, {"output", "lm_head"}};
constexpr NamePair kGpt2Global[] = {{"token_embd", "transformer.wte"}, {"position_embd", "transformer.wpe"},
                                    {"output_norm", "transformer.ln_f"}, {"output", "lm_head"}};

// Llama (and Mistral), Qwen2, Qwen3. ffn_norm is the norm before the MLP: HF calls it
// post_attention_layernorm, as it follows attention in these blocks.
constexpr NamePair kLlamaBlock[] = {
    {"attn_norm", "input_layernorm"},     {"attn_q", "self_attn.q_proj"},
    {"attn_k", "self_attn.k_proj"},       {"attn_v", "self_attn.v_proj"},
    {"attn_q_norm", "self_attn.q_norm"},  {"attn_k_norm", "self_attn.k_norm"},  // Qwen3
    {"attn_output", "self_attn.o_proj"},  {"ffn_norm", "post_attention_layernorm"},
    {"ffn_gate", "mlp.gate_proj"},        {"ffn_up", "mlp.up_proj"},
    {"ffn_down", "mlp.down_proj"}};
// Phi-3 keeps HF's fused tensors: attn_qkv = [q; k; v] rows, ffn_up = [gate; up] rows.
constexpr NamePair kPhi3Block[] = {
    {"attn_norm", "input_layernorm"},    {"attn_qkv", "self_attn.qkv_proj"},
    {"attn_output", "self_attn.o_proj"}, {"ffn_norm", "post_attention_layernorm"},
    {"ffn_up", "mlp.gate_up_proj"},      {"ffn_down", "mlp.down_proj"}};
// Gemma 3's sandwich norms: post_attention_norm is HF's post_attention_layernorm here, and
// ffn_norm its pre_feedforward_layernorm.
constexpr NamePair kGemma3Block[] = {
    {"attn_norm", "input_layernorm"},      {"attn_q", "self_attn.q_proj"},
    {"attn_k", "self_attn.k_proj"},        {"attn_v", "self_attn.v_proj"},
    {"attn_q_norm", "self_attn.q_norm"},   {"attn_k_norm", "self_attn.k_norm"},
    {"attn_output", "self_attn.o_proj"},   {"post_attention_norm", "post_attention_layernorm"},
    {"ffn_norm", "pre_feedforward_layernorm"}, {"post_ffw_norm", "post_feedforward_layernorm"},
    {"ffn_gate", "mlp.gate_proj"},         {"ffn_up", "mlp.up_proj"},
    {"ffn_down", "mlp.down_proj"}};
constexpr NamePair kGpt2Block[] = {
    {"attn_norm", "ln_1"},          {"attn_qkv", "attn.c_attn", true}, {"attn_output", "attn.c_proj", true},
    {"ffn_norm", "ln_2"},           {"ffn_up", "mlp.c_fc", true},      {"ffn_down", "mlp.c_proj", true}};

}  // namespace

std::span<const NamePair> global_names(Architecture arch) {
  if (arch == Architecture::kGpt2) return kGpt2Global;
  return kLlamaGlobal;
}

std::span<const NamePair> block_names(Architecture arch) {
  switch (arch) {
    case Architecture::kGpt2: return kGpt2Block;
    case Architecture::kPhi3: return kPhi3Block;
    case Architecture::kGemma3: return kGemma3Block;
    case Architecture::kLlama:
    case Architecture::kMistral:
    case Architecture::kQwen2:
    case Architecture::kQwen3: break;
  }
  return kLlamaBlock;
}

std::string hf_layer_prefix(Architecture arch, int layer) {
  return (arch == Architecture::kGpt2 ? "transformer.h." : "model.layers.") + std::to_string(layer) + ".";
}

}  // namespace kvlm::gguf
