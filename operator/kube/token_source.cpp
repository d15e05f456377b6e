// Bearer token sources (config.hpp) and the small-file helpers behind config loading.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "kube/config.hpp"
#include "kube/config_files.hpp"

namespace pmo::kube {
namespace detail {

std::optional<std::string> readSmallFile(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) {
    error = "read error";
    return std::nullopt;
  }
  return out.str();
}

std::string resolvePath(const std::string& path, const std::string& baseDir) {
  if (path.empty() || path[0] == '/' || baseDir.empty()) return path;
  return baseDir + "/" + path;
}

}  // namespace detail

namespace {
std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t b = s.find_first_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b);
}
}  // namespace

std::shared_ptr<TokenSource> TokenSource::fixed(Secret token) {
  std::shared_ptr<TokenSource> s(new TokenSource());
  s->token_ = std::move(token);
  return s;
}

std::shared_ptr<TokenSource> TokenSource::file(std::string path, std::chrono::seconds maxAge) {
  std::shared_ptr<TokenSource> s(new TokenSource());
  s->path_ = std::move(path);
  s->maxAge_ = maxAge;
  s->reload(/*mustSucceed=*/true);
  return s;
}

void TokenSource::reload(bool mustSucceed) {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (mustSucceed) throw ConfigError("cannot read token file " + path_ + ": " + std::strerror(errno));
    return;  // keep the last token
  }
  FileStamp stamp{static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino),
                  static_cast<unsigned long long>(st.st_size), static_cast<long long>(st.st_mtim.tv_sec),
                  static_cast<long long>(st.st_mtim.tv_nsec)};
  auto now = std::chrono::steady_clock::now();
  if (!mustSucceed && !stale_ && stamp == stamp_ && now - readAt_ < maxAge_) return;
  std::string error;
  auto text = detail::readSmallFile(path_, error);
  if (!text) {
    if (mustSucceed) throw ConfigError("cannot read token file " + path_ + ": " + error);
    return;
  }
  std::string token = trimmed(*text);
  if (token.empty()) {
    if (mustSucceed) throw ConfigError("token file " + path_ + " is empty");
    return;  // a rotation caught half-written: keep the last token, retry next call
  }
  token_ = Secret(std::move(token));
  stamp_ = stamp;
  readAt_ = now;
  stale_ = false;
}

Secret TokenSource::current() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!path_.empty()) reload(/*mustSucceed=*/false);
  return token_;
}

void TokenSource::invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  stale_ = true;
}

std::optional<std::string> base64Decode(const std::string& text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  size_t symbols = 0;
  size_t padding = 0;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return std::nullopt;  // data after padding
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    ++symbols;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (symbols % 4 == 1 || padding > 2) return std::nullopt;
  if (padding > 0 && (symbols + padding) % 4 != 0) return std::nullopt;
  return out;
}

}  // namespace pmo::kube
