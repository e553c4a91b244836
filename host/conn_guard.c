#include "conn_guard.h"

#include <dirent.h>
#include <stdint.h>
#include <sys/resource.h>

#include <uv.h>

#include "log.h"

#define DEFAULT_RESERVE 64

static uint32_t reserve = DEFAULT_RESERVE;
static conn_guard *guards;

void conn_guard_set_reserve(uint32_t fds) { reserve = fds; }

void conn_guard_register(conn_guard *g) {
  for (conn_guard *it = guards; it; it = it->next)
    if (it == g) return;
  g->next = guards;
  guards = g;
}

const conn_guard *conn_guard_list(void) { return guards; }

static uint64_t fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return UINT32_MAX;
  return rl.rlim_cur;
}

/* Descriptors open in the process (one more is used while counting). */
static uint64_t fds_open(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return UINT64_MAX; /* cannot even open a directory: as low as it gets */
  uint64_t n = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1;
}

/* Fewer than `reserve` descriptors left. Descriptors are handed out lowest
 * first, so a new one well below limit - reserve says there is room without
 * counting. Once they ran short, closed ones leave holes low down that a new
 * one fills: count on every accept until well clear again. */
static bool fds_low(int fd, uint64_t limit) {
  static bool pressure;
  uint64_t margin = 2 * (uint64_t)reserve;
  if (fd < 0 || (!pressure && (uint64_t)fd + margin < limit)) return false;
  uint64_t n = fds_open();
  if (n == UINT64_MAX) return pressure = true; /* not even one left to count with */
  pressure = n + margin >= limit;
  return n + reserve > limit;
}

static void log_limited(conn_guard *g, uint64_t limit, bool over_cap) {
  if (over_cap)
    log_warn("%s: connection limit reached (%s = %u); closing idle connections "
             "or refusing new ones (stratus_connections_refused_total)",
             g->name, g->limit_key, g->max);
  else
    log_warn("%s: descriptors running out (%llu allowed, %u kept for databases, NATS "
             "and plugins by [host] reserve_fds); closing idle connections or refusing "
             "new ones (stratus_connections_refused_total)",
             g->name, (unsigned long long)limit, reserve);
}

static uint64_t oldest(const conn_guard *g) {
  return g->oldest_idle ? g->oldest_idle() : UINT64_MAX;
}

static bool shed(conn_guard *g) {
  if (oldest(g) == UINT64_MAX) return false;
  g->shed_oldest();
  g->shed++;
  return true;
}

/* Descriptors are everyone's: the oldest idle connection of any listener. */
static bool shed_any(void) {
  conn_guard *pick = NULL;
  uint64_t best = UINT64_MAX;
  for (conn_guard *it = guards; it; it = it->next) {
    uint64_t t = oldest(it);
    if (t < best) {
      best = t;
      pick = it;
    }
  }
  return pick && shed(pick);
}

bool conn_guard_admit(conn_guard *g, int fd) {
  uint64_t limit = fd_limit();
  if (g->accept_failing) {
    g->accept_failing = false;
    log_info("%s: accepting connections again", g->name);
  }
  bool over_cap = g->max && g->open > g->max;
  bool low = !over_cap && fds_low(fd, limit);
  bool full = over_cap || low;
  if (full && !g->limited) {
    log_limited(g, limit, over_cap);
    g->limited = true;
    g->limited_open = g->open;
  }
  /* Hysteresis: log again only after falling clearly below the limit. */
  if (!full && g->limited && g->open < g->limited_open - g->limited_open / 10) {
    g->limited = false;
    log_info("%s: below the connection limit again (%u open)", g->name, g->open);
  }
  if (!full || (over_cap ? shed(g) : shed_any())) return true;
  g->refused++;
  return false;
}

void conn_guard_opened(conn_guard *g) { g->open++; }
void conn_guard_closed(conn_guard *g) { g->open--; }

void conn_guard_accept_failed(conn_guard *g, int uv_err) {
  g->accept_errors++;
  if (g->accept_failing) return;
  g->accept_failing = true;
  log_error("%s: accept: %s (%u connections open; descriptor limit %llu); the listener "
            "recovers by closing idle connections; logged once until an accept succeeds",
            g->name, uv_strerror(uv_err), g->open, (unsigned long long)fd_limit());
}
