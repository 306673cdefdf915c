// kvlm.hpp: the whole library in one include, for programs that use kvlm rather than study it.
// Not where to start reading: the path of one token is docs/architecture.md, stage by stage.
#pragma once

#include "kvlm/error.hpp"                    // kvlm::Error, the one exception for bad input
#include "kvlm/io/load.hpp"                  // load_model: HF folder, .gguf or llama2.c .bin
#include "kvlm/tokenizer/tokenizer.hpp"      // load_tokenizer, Tokenizer::encode / decode
#include "kvlm/tokenizer/chat_template.hpp"  // chat_template_for, ChatTemplate::apply
#include "kvlm/model/transformer.hpp"        // forward: ids -> logits
#include "kvlm/cache/kv_cache.hpp"           // KVCache, the contract every cache variant keeps
#include "kvlm/cache/contiguous.hpp"         // ContiguousKVCache (chapter 06)
#include "kvlm/cache/make_kv_cache.hpp"      // make_kv_cache: a variant chosen at run time
#include "kvlm/generate/generate.hpp"        // generate_naive, generate_cached, Sampler
#include "kvlm/verify/reference.hpp"         // comparing with an HF reference file
#include "kvlm/verify/finite.hpp"            // check_finite_logits: NaN/Inf in the output, traced to a layer
#include "kvlm/threads.hpp"                  // set_num_threads
