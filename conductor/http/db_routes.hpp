#pragma once

#include "common/http/router.hpp"
#include "conductor/http/ops_routes.hpp"

namespace baton::conductor {

// POST /api/v1/db/backup  {path} -> 200 {path, bytes, pages, integrity: "ok"}
//   An online copy of the conductor DB (sqlite3_backup, so the core keeps
//   writing meanwhile), integrity-checked before it takes its name. The path
//   must be absolute (the conductor's working directory is nobody's guess),
//   in an existing directory, and not an existing file (409).
// GET  /api/v1/db/check   -> {ok, problems: [...], schema_version, size_bytes, wal_bytes}
//   PRAGMA quick_check on the API's read-only connection.
// Both block the HTTP thread while they run; the backup gives up after
// kBackupDeadline.
void install_db_routes(http::Router& router, const OpsRouteDeps& deps);

inline constexpr std::chrono::minutes kBackupDeadline{10};

}  // namespace baton::conductor
