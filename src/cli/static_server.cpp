// The static file server of `kvlm view`; see static_server.hpp.
#include "cli/static_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>

#include "kvlm/error.hpp"

namespace kvlm::cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

std::string content_type(const std::filesystem::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".png") return "image/png";
  if (ext == ".svg") return "image/svg+xml";
  return "application/octet-stream";
}

void send_all(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the browser went away: nothing to do
    sent += static_cast<size_t>(n);
  }
}

void respond(int fd, int status, const std::string& reason, const std::string& type, const std::string& body) {
  std::ostringstream head;
  head << "HTTP/1.1 " << status << ' ' << reason << "\r\nContent-Type: " << type
       << "\r\nContent-Length: " << body.size() << "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
  send_all(fd, head.str() + body);
}

// Reads the request head (up to the blank line, at most 16 KiB) and answers it.
void handle(int fd, const Routes& routes) {
  std::string request;
  char buf[4096];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 16384) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    request.append(buf, static_cast<size_t>(n));
  }
  std::istringstream line(request.substr(0, request.find("\r\n")));
  std::string method, target;
  line >> method >> target;
  if (method != "GET" && method != "HEAD") return respond(fd, 405, "Method Not Allowed", "text/plain", "GET only\n");
  const auto file = route(routes, target);
  std::ifstream in;
  if (file) in.open(*file, std::ios::binary);
  if (!file || !in) return respond(fd, 404, "Not Found", "text/plain", "not found\n");
  std::ostringstream body;
  body << in.rdbuf();
  respond(fd, 200, "OK", content_type(*file), method == "HEAD" ? "" : body.str());
}

}  // namespace

std::optional<std::filesystem::path> route(const Routes& routes, const std::string& target) {
  const std::string path = target.substr(0, target.find('?'));
  const auto it = routes.find(path);
  if (it == routes.end()) return std::nullopt;
  return it->second;
}

void serve(const Routes& routes, int port, const std::function<void(int port)>& on_listening) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error("cannot open a socket: " + std::string(std::strerror(errno)));
  const int yes = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1: never reachable from another machine
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    throw Error("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + why);
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);

  // Ctrl-C sets g_stop; the loop sees it within 250 ms (or at once: no SA_RESTART, poll returns EINTR).
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  on_listening(ntohs(addr.sin_port));

  while (!g_stop) {
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, /*ms=*/250) <= 0) continue;  // a timeout or a signal: look at g_stop again
    const int client = ::accept(fd, nullptr, nullptr);
    if (client < 0) continue;  // EINTR (a signal: the loop checks g_stop) or a transient error
    timeval timeout{5, 0};     // a client that sends nothing does not hold the server forever
    ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    handle(client, routes);
    ::close(client);
  }
  ::close(fd);
}

}  // namespace kvlm::cli
