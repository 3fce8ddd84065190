#include "common/core/result.hpp"

namespace baton {

const char* to_string(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::not_found: return "not_found";
    case Errc::conflict: return "conflict";
    case Errc::io_error: return "io_error";
    case Errc::timeout: return "timeout";
    case Errc::database: return "database";
    case Errc::broker: return "broker";
    case Errc::decode: return "decode";
    case Errc::refused: return "refused";
    case Errc::unavailable: return "unavailable";
  }
  return "unknown";
}

}  // namespace baton
