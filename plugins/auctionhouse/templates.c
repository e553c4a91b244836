/*
 * item_template rows, read through [db.world] and kept in a bounded cache on
 * the loop thread: when it holds item_cache_size rows it starts over (a
 * template never changes while the world server runs; a miss is one read).
 */
#include <stdlib.h>
#include <string.h>

#include "ah.h"

#define host ah_host

const ah_template *ah_template_get(ah_plugin *p, uint32_t entry) {
  return hmap_get(&p->templates, hmap_mix64(entry), NULL, NULL);
}

void ah_templates_free(ah_plugin *p) {
  for (size_t i = 0; i < p->templates.cap; i++) free(p->templates.slots[i].val);
  hmap_free(&p->templates);
}

void ah_template_put(ah_plugin *p, const ah_template *t) {
  if (ah_template_get(p, t->entry)) return;
  if ((int64_t)p->templates.len >= p->config->item_cache_size) ah_templates_free(p);
  ah_template *copy = malloc(sizeof(*copy));
  if (!copy) return;
  *copy = *t;
  if (hmap_put(&p->templates, hmap_mix64(t->entry), copy) != 0) free(copy);
}

int ah_template_read(stratus_db *db, stratus_req *req, uint32_t entry, ah_template *out) {
  stratus_rows *rows;
  int rc = host->sql_exec(db, "SELECT class, subclass, Quality, InventoryType, ItemLevel, "
                              "RequiredLevel, name FROM item_template WHERE entry = ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(entry)), &rows);
  if (rc != 0) return rc;
  rc = host->rows_next(rows);
  if (rc == 1) {
    size_t len;
    const char *name = host->rows_text(rows, 6, &len);
    *out = (ah_template){.entry = entry,
                         .item_class = (uint32_t)host->rows_uint(rows, 0),
                         .subclass = (uint32_t)host->rows_uint(rows, 1),
                         .quality = (uint32_t)host->rows_uint(rows, 2),
                         .inventory_type = (uint32_t)host->rows_uint(rows, 3),
                         .item_level = (uint32_t)host->rows_uint(rows, 4),
                         .required_level = (uint32_t)host->rows_uint(rows, 5)};
    if (len >= sizeof(out->name)) len = sizeof(out->name) - 1;
    memcpy(out->name, name ? name : "", name ? len : 0);
    out->name[name ? len : 0] = 0;
  }
  host->rows_free(rows);
  if (rc == 0)
    return host->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                          "item entry %u is not in item_template", entry);
  return rc < 0 ? rc : 0;
}
