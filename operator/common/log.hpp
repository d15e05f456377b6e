#pragma once
// Structured logging: one line per record, as text (`ts level msg key=value ...`) or as
// JSON (`{"ts":..,"level":..,"msg":..,...}`), to stderr. Thread-safe; a record is
// written with one write so lines from several threads never interleave.
//
// Fields are nlohmann::json values. A pmo::Secret cannot be a field (it does not convert
// to json), which is the point.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace pmo::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };
enum class Format { Text, Json };

using Fields = nlohmann::json;  // an object; null means no fields

void configure(Level level, Format format);
bool parseLevel(std::string_view text, Level& out);
bool parseFormat(std::string_view text, Format& out);
bool enabled(Level level);

void write(Level level, std::string_view message, const Fields& fields = nullptr);
inline void debug(std::string_view m, const Fields& f = nullptr) { write(Level::Debug, m, f); }
inline void info(std::string_view m, const Fields& f = nullptr) { write(Level::Info, m, f); }
inline void warn(std::string_view m, const Fields& f = nullptr) { write(Level::Warn, m, f); }
inline void error(std::string_view m, const Fields& f = nullptr) { write(Level::Error, m, f); }

// Formats one record without writing it (used by write() and by tests).
std::string format(Format format, Level level, std::string_view message, const Fields& fields,
                   std::string_view timestamp);

}  // namespace pmo::log
