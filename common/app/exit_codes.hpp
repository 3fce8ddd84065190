#pragma once

namespace baton {

// Exit statuses of baton-conductor and baton-worker. The systemd units
// restart on failure except on kExitConfigInvalid (RestartPreventExitStatus=2).
inline constexpr int kExitStartFailed = 1;
// The config names the file, line and key that are wrong; a restart won't help.
inline constexpr int kExitConfigInvalid = 2;
// The database refused a write the state in memory already holds (full disk,
// I/O error): the process stops at once and a restart reloads that state
// (EX_TEMPFAIL). See EventPipeline::set_database_failure_handler.
inline constexpr int kExitDatabaseFailed = 75;

}  // namespace baton
