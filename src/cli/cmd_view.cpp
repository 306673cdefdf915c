// kvlm view: serves viewer/ and one trace (two, to compare) on 127.0.0.1 until Ctrl-C.
// Not a general file server: the routes are the viewer's files and the traces, nothing else.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "cli/commands.hpp"
#include "cli/static_server.hpp"
#include "kvlm/error.hpp"

namespace kvlm::cli {
namespace {

namespace fs = std::filesystem;

const char* const kViewerFiles[] = {"index.html", "viewer.css", "viewer.js"};

struct ViewArgs {
  std::string trace, compare, viewer_dir;
  int port = 8123;
};

bool has_viewer(const fs::path& dir) { return fs::exists(dir / "index.html"); }

// --viewer-dir, $KVLM_VIEWER_DIR, then beside the binary once installed (bin/../share/kvlm/viewer),
// then the source tree this binary was built from.
fs::path find_viewer(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("KVLM_VIEWER_DIR")) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && has_viewer(exe.parent_path().parent_path() / "share/kvlm/viewer"))
    return exe.parent_path().parent_path() / "share/kvlm/viewer";
  return KVLM_SOURCE_VIEWER_DIR;
}

void run(const ViewArgs& a) {
  const fs::path dir = find_viewer(a.viewer_dir);
  if (!has_viewer(dir))
    throw Error("the viewer's files are not in " + dir.string() + ": pass --viewer-dir or set KVLM_VIEWER_DIR");
  Routes routes{{"/", dir / "index.html"}, {"/trace.json", a.trace}};
  for (const char* f : kViewerFiles) routes["/" + std::string(f)] = dir / f;
  if (!a.compare.empty()) routes["/compare.json"] = a.compare;
  for (const std::string& t : {a.trace, a.compare})
    if (!t.empty() && !std::ifstream(t)) throw Error("cannot read the trace " + t);
  const char* query = a.compare.empty() ? "" : "?compare=1";  // the page then also loads /compare.json
  serve(routes, a.port, [&](int port) {
    std::printf("kvlm view: open http://127.0.0.1:%d/%s (Ctrl-C stops)\n", port, query);
    std::fflush(stdout);
  });
  std::printf("kvlm view: stopped\n");
}

}  // namespace

void add_view(CLI::App& app) {
  auto a = std::make_shared<ViewArgs>();
  auto* cmd = app.add_subcommand("view", "Replay a generation trace (from generate --trace) in the browser");
  cmd->add_option("trace", a->trace, "trace FILE.json")->required();
  cmd->add_option("compare", a->compare, "a second trace to compare timings with (e.g. --no-cache)");
  cmd->add_option("--port", a->port, "port on 127.0.0.1 (0 = any free one)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("--viewer-dir", a->viewer_dir, "folder with the viewer's files (default: found beside kvlm)");
  cmd->callback([a] { run(*a); });
}

}  // namespace kvlm::cli
