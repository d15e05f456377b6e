#include "cli/text_table.hpp"

#include <algorithm>

namespace pmo::cli {
namespace {

size_t displayWidth(const std::string& s) {
  // UTF-8 continuation bytes are 10xxxxxx: count every other byte once.
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

void TextTable::print(std::ostream& os, const std::string& indent) const {
  std::vector<size_t> widths(header_.size());
  for (size_t i = 0; i < header_.size(); ++i) widths[i] = displayWidth(header_[i]);
  for (const auto& row : rows_)
    for (size_t i = 0; i < header_.size() && i < row.size(); ++i) widths[i] = std::max(widths[i], displayWidth(row[i]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = indent;
    for (size_t i = 0; i < header_.size(); ++i) {
      const std::string cell = i < cells.size() ? cells[i] : "";
      out += cell;
      if (i + 1 < header_.size()) out += std::string(widths[i] - displayWidth(cell) + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    os << out << "\n";
  };
  line(header_);
  for (const auto& row : rows_) line(row);
}

}  // namespace pmo::cli
