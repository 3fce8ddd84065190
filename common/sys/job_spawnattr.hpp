#pragma once

// Header-only and libc-only, so the static baton-supervise can use it too.

#include <signal.h>
#include <spawn.h>

namespace baton::sys {

// posix_spawn attributes for a child that must start clean whatever its
// parent had set: a process group of its own (so the whole group can be
// signalled), default signal dispositions (SIG_IGN would otherwise survive
// exec) and an empty signal mask. 0 or an errno value; the caller destroys
// the attributes.
inline int init_job_spawnattr(posix_spawnattr_t* attr) {
  if (const int rc = ::posix_spawnattr_init(attr); rc != 0) return rc;
  sigset_t all;
  sigset_t none;
  sigfillset(&all);
  sigemptyset(&none);
  ::posix_spawnattr_setsigdefault(attr, &all);
  ::posix_spawnattr_setsigmask(attr, &none);
  ::posix_spawnattr_setpgroup(attr, 0);
  ::posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  return 0;
}

}  // namespace baton::sys
