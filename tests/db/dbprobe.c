/*
 * Test fixture: submits `batch` database jobs every `interval` to pool
 * [db.<pool>] until `total` were submitted, and exports what happened as
 * metrics: fixture_dbprobe_submitted_total, _refused_total, and
 * fixture_dbprobe_completed_total{result="ok|unavailable|other"}.
 */
#include <stdlib.h>
#include <string.h>

#include <stratus/stratus.h>

typedef struct probe_config {
  const char *pool;
  int64_t interval_ms;
  int64_t batch;
  int64_t total;
} probe_config;

typedef struct probe_state {
  const probe_config *config;
  stratus_ctx *ctx;
  int64_t submitted, refused;
  bool stopped; /* metric handles are gone once the instance stops */
  stratus_metric *m_submitted, *m_refused, *m_completed;
} probe_state;

typedef struct probe_job {
  probe_state *st;
  int64_t id;
  int64_t got;
} probe_job;

static const stratus_host_api *host;

static const stratus_config_key probe_keys[] = {
    {.name = "pool", .type = STRATUS_CFG_STRING,
     .offset = offsetof(probe_config, pool), .default_value = "x"},
    {.name = "interval", .type = STRATUS_CFG_DURATION,
     .offset = offsetof(probe_config, interval_ms), .default_value = "10ms",
     .min = 1, .max = 60000},
    {.name = "batch", .type = STRATUS_CFG_INT,
     .offset = offsetof(probe_config, batch), .default_value = "10", .min = 1,
     .max = 10000},
    {.name = "total", .type = STRATUS_CFG_INT,
     .offset = offsetof(probe_config, total), .default_value = "1000", .min = 0,
     .max = 100000000},
    {0},
};

static int probe_work(stratus_db *db, void *arg) {
  probe_job *j = arg;
  stratus_rows *rows;
  int rc = host->sql_exec(db, "SELECT ? + 1",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_INT_V(j->id)), &rows);
  if (rc != 0) return rc;
  if (host->rows_next(rows) == 1) j->got = host->rows_int(rows, 0);
  host->rows_free(rows);
  return j->got == j->id + 1 ? 0 : STRATUS_EDB;
}

static void probe_done(stratus_ctx *ctx, void *arg, int result,
                       const char *error) {
  probe_job *j = arg;
  const char *label[] = {result == 0                      ? "ok"
                         : result == STRATUS_EUNAVAILABLE ? "unavailable"
                                                          : "other"};
  if (result != 0 && result != STRATUS_EUNAVAILABLE)
    STRATUS_WARN(host, ctx, "job %lld: %s", (long long)j->id, error);
  if (!j->st->stopped) host->metric_add(j->st->m_completed, label, 1);
  free(j);
}

static void tick(stratus_ctx *ctx, stratus_timer *t, void *ud) {
  probe_state *st = ud;
  (void)t;
  for (int64_t i = 0; i < st->config->batch && st->submitted < st->config->total;
       i++) {
    probe_job *j = calloc(1, sizeof(*j));
    j->st = st;
    j->id = st->submitted;
    int rc = host->db_submit(ctx, st->config->pool, probe_work, probe_done, j,
                             NULL);
    if (rc != 0) {
      free(j);
      host->metric_add(st->m_refused, NULL, 1);
      st->refused++;
      break;
    }
    st->submitted++;
    host->metric_add(st->m_submitted, NULL, 1);
  }
}

static int probe_init(stratus_ctx *ctx, const void *config, void **state) {
  if (!STRATUS_HOST_HAS(host, db_submit)) return STRATUS_ENOTSUP;
  probe_state *st = calloc(1, sizeof(*st));
  st->config = config;
  st->ctx = ctx;
  static const char *const result_label[] = {"result", NULL};
  static const stratus_metric_desc submitted = {
      sizeof(stratus_metric_desc), STRATUS_METRIC_COUNTER,
      "fixture_dbprobe_submitted_total", "Jobs submitted", NULL, NULL, 0};
  static const stratus_metric_desc refused = {
      sizeof(stratus_metric_desc), STRATUS_METRIC_COUNTER,
      "fixture_dbprobe_refused_total", "Submissions refused", NULL, NULL, 0};
  static const stratus_metric_desc completed = {
      sizeof(stratus_metric_desc), STRATUS_METRIC_COUNTER,
      "fixture_dbprobe_completed_total", "Jobs completed by result", result_label,
      NULL, 0};
  st->m_submitted = host->metric_register(ctx, &submitted);
  st->m_refused = host->metric_register(ctx, &refused);
  st->m_completed = host->metric_register(ctx, &completed);
  host->metric_add(st->m_submitted, NULL, 0);
  host->timer_start(ctx, (uint64_t)st->config->interval_ms,
                    (uint64_t)st->config->interval_ms, tick, st);
  *state = st;
  return 0;
}

static void probe_stop(stratus_ctx *ctx, void *state) {
  (void)ctx;
  ((probe_state *)state)->stopped = true;
}

static void probe_destroy(stratus_ctx *ctx, void *state) {
  (void)ctx;
  free(state);
}

static const stratus_plugin probe_plugin = {
    .hdr = STRATUS_PLUGIN_HDR,
    .name = "dbprobe",
    .version = "1",
    .description = "test fixture: database jobs on a timer",
    STRATUS_PLUGIN_CONFIG(probe_keys, probe_config),
    .init = probe_init,
    .stop = probe_stop,
    .destroy = probe_destroy,
};

const stratus_plugin *stratus_plugin_entry(const stratus_host_api *api) {
  host = api;
  return &probe_plugin;
}
