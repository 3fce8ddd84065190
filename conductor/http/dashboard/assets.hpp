#pragma once

#include <string_view>
#include <vector>

namespace baton::conductor::dashboard {

// A file of the dashboard compiled into the binary, so the conductor serves
// its page with no files to install and no CDN to reach.
struct Asset {
  std::string_view name;  // file name under assets/, e.g. "dashboard.js"
  std::string_view content_type;
  std::string_view body;
};

// Defined in the file embed_assets.cmake generates from assets/*.
const std::vector<Asset>& assets();

}  // namespace baton::conductor::dashboard
