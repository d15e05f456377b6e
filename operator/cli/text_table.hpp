#pragma once
// Aligned plain-text tables for the database subcommands' human output. Column widths
// count UTF-8 characters, so organisation names in any script line up.
#include <ostream>
#include <string>
#include <vector>

namespace pmo::cli {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  // Missing cells print empty; extra cells are ignored.
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  void print(std::ostream& os, const std::string& indent = "  ") const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// "yes"/"no" for table cells.
inline std::string yesNo(bool b) { return b ? "yes" : "no"; }

}  // namespace pmo::cli
