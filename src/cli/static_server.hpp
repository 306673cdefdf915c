// A tiny blocking HTTP/1.1 server for `kvlm view`: GET of a fixed set of files, on 127.0.0.1 only.
// Not a web server: no directories, no paths from the request reach the file system, one request at a time.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace kvlm::cli {

// URL path ("/", "/viewer.js", "/trace.json") -> the file it serves. Nothing else is served.
using Routes = std::map<std::string, std::filesystem::path>;

// The file a request target names, or nullopt (-> 404). The query string is ignored; the path
// must be one of routes' keys exactly, so "/../x", "/%2e%2e/x" or "//etc/passwd" never match.
std::optional<std::filesystem::path> route(const Routes& routes, const std::string& target);

// Listens on 127.0.0.1:port (0 = any free port), calls on_listening(port), then serves until SIGINT
// or SIGTERM, and returns. Throws kvlm::Error when the port cannot be bound.
void serve(const Routes& routes, int port, const std::function<void(int port)>& on_listening);

}  // namespace kvlm::cli
