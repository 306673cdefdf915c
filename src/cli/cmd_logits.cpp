// kvlm logits: the model's logits for a list of ids, printed, as JSON, or saved as safetensors.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <numeric>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "kvlm/error.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/io/safetensors.hpp"
#include "kvlm/model/transformer.hpp"
#include "kvlm/verify/finite.hpp"

namespace kvlm::cli {
namespace {

struct LogitsArgs {
  std::string model, prompt_ids, out;
  bool json = false;
  LoadOptions load;  // --check-tensors, --dequantize
  int threads = 0;
  std::string device = "cpu";
};


constexpr int kTopShown = 5;  // tokens listed per position in the text output

void run(const LogitsArgs& a) {
  set_threads(a.threads);
  const Model model = load_model(a.model, a.load);
  const std::vector<int> ids = parse_ids(a.prompt_ids);
  const Matrix logits = make_decoder(a.device, model)->forward(ids, 0, nullptr, nullptr, 0);  // [T, V]
  check_finite_logits(model, ids, logits);  // NaN or Inf: exit 1, naming the layer (not nulls in the JSON)
  const Shape shape = {logits.rows(), logits.cols()};

  if (!a.out.empty()) {
    SafetensorsWriter w;
    w.add("logits", shape, logits.data());
    w.write(a.out);
  }
  if (a.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (Eigen::Index t = 0; t < logits.rows(); ++t)
      rows.push_back(std::vector<float>(logits.row(t).data(), logits.row(t).data() + logits.cols()));
    std::printf("%s\n", nlohmann::json({{"prompt_ids", ids}, {"shape", shape}, {"logits", rows}}).dump().c_str());
    return;
  }
  std::printf("logits [%lld, %lld]%s\n", static_cast<long long>(shape[0]), static_cast<long long>(shape[1]),
              a.out.empty() ? "" : (" written to " + a.out).c_str());
  for (Eigen::Index t = 0; t < logits.rows(); ++t) {
    std::vector<int> order(logits.cols());
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + std::min<Eigen::Index>(kTopShown, logits.cols()), order.end(),
                      [&](int x, int y) { return logits(t, x) > logits(t, y); });
    std::printf("pos %lld (id %d) top:", static_cast<long long>(t), ids[t]);
    for (int j = 0; j < std::min<Eigen::Index>(kTopShown, logits.cols()); ++j)
      std::printf(" %d (%.4f)", order[j], logits(t, order[j]));
    std::printf("\n");
  }
}

}  // namespace

void add_logits(CLI::App& app) {
  auto a = std::make_shared<LogitsArgs>();
  auto* cmd = app.add_subcommand("logits", "Logits at every position of a prompt given as ids");
  cmd->add_option("-m,--model", a->model, "HF folder, .gguf or llama2.c .bin")->required();
  cmd->add_option("--prompt-ids", a->prompt_ids, "token ids, e.g. 1,2,3")->required();
  cmd->add_option("--out", a->out, "write a safetensors file with one F32 tensor `logits` [T, V]");
  cmd->add_flag("--json", a->json, "print one JSON object with every logit");
  add_load_flags(cmd, a->load);
  cmd->add_option("--threads", a->threads, "CPU threads (0 = all)");
  add_device_option(cmd, a->device);
  cmd->callback([a] { run(*a); });
}

}  // namespace kvlm::cli
