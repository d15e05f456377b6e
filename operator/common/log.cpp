#include "common/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>

namespace pmo::log {
namespace {

std::atomic<Level> gLevel{Level::Info};
std::atomic<Format> gFormat{Format::Text};
std::mutex gWriteMutex;

const char* levelName(Level l) {
  switch (l) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
  }
  return "info";
}

std::string nowRfc3339() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t t = system_clock::to_time_t(now);
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];  // room for any int the compiler imagines in the fields (-Wformat-truncation)
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

bool needsQuoting(const std::string& s) {
  if (s.empty()) return true;
  for (char c : s) {
    if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\t') return true;
  }
  return false;
}

}  // namespace

void configure(Level level, Format format) {
  gLevel = level;
  gFormat = format;
}

bool parseLevel(std::string_view text, Level& out) {
  if (text == "debug") out = Level::Debug;
  else if (text == "info") out = Level::Info;
  else if (text == "warn" || text == "warning") out = Level::Warn;
  else if (text == "error") out = Level::Error;
  else return false;
  return true;
}

bool parseFormat(std::string_view text, Format& out) {
  if (text == "text") out = Format::Text;
  else if (text == "json") out = Format::Json;
  else return false;
  return true;
}

bool enabled(Level level) { return static_cast<int>(level) >= static_cast<int>(gLevel.load()); }

std::string format(Format fmt, Level level, std::string_view message, const Fields& fields,
                   std::string_view timestamp) {
  if (fmt == Format::Json) {
    nlohmann::json rec = nlohmann::json::object();
    rec["ts"] = timestamp;
    rec["level"] = levelName(level);
    rec["msg"] = message;
    if (fields.is_object()) {
      for (const auto& [k, v] : fields.items()) rec[k] = v;
    }
    return rec.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string line;
  line.append(timestamp).append(" ").append(levelName(level)).append(" ").append(message);
  if (fields.is_object()) {
    for (const auto& [k, v] : fields.items()) {
      std::string value = v.is_string() ? v.get<std::string>()
                                        : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      line.append(" ").append(k).append("=");
      if (needsQuoting(value)) {
        line.append(nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      } else {
        line.append(value);
      }
    }
  }
  return line;
}

void write(Level level, std::string_view message, const Fields& fields) {
  if (!enabled(level)) return;
  std::string line = format(gFormat.load(), level, message, fields, nowRfc3339());
  line.push_back('\n');
  std::lock_guard<std::mutex> lock(gWriteMutex);
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace pmo::log
