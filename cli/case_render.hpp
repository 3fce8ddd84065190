#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace baton::cli {

// Renderings of the API's case objects, without I/O. Steps are numbered from
// 1 here, as in the conductor's messages; the API's JSON has 0-based indexes.
std::string render_case_table(const nlohmann::json& cases);
std::string render_case_details(const nlohmann::json& case_json);

// One line for `case submit --wait`:
//   case c-17 EXECUTING step 2 (simulate) attempt 1 on gpu-01  45% [epoch 3/10]
// The step name comes from the case's attempts when the document has them.
std::string render_progress_line(const nlohmann::json& case_json);

// "c-17 COMPLETED", or "c-17 FAILED: <the case's message>".
std::string render_case_outcome(const nlohmann::json& case_json);

// At most max_chars UTF-8 characters, ending in "…" when cut.
std::string truncate_text(const std::string& text, std::size_t max_chars);

// kExitOk for COMPLETED, kExitProblem for FAILED or CANCELLED, nothing while
// the case is still going.
std::optional<int> exit_code_for_case(const nlohmann::json& case_json);

}  // namespace baton::cli
