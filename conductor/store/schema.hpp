#pragma once

#include <string>
#include <vector>

namespace baton::conductor {

const std::vector<std::string>& schema_migrations();

}  // namespace baton::conductor
