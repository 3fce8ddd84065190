#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace baton::cli {

// A plain-text table: a header row, columns padded to their widest cell and
// separated by two spaces, no trailing blanks. Width counts UTF-8 code
// points, so names with accents still line up.
class Table {
 public:
  enum class Align { left, right };

  explicit Table(std::vector<std::string> headers);
  void align(std::size_t column, Align alignment);
  // Short rows are padded with empty cells; extra cells are dropped.
  void add_row(std::vector<std::string> cells);
  std::size_t rows() const { return rows_.size(); }
  std::string render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<Align> align_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace baton::cli
