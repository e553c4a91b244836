#include "who_index.h"

#include <stdlib.h>

#include "online.h"

int who_index_init(who_index *ix) {
  ix->head = calloc(WHO_CELLS + 1, sizeof(*ix->head));
  ix->count = calloc(WHO_CELLS + 1, sizeof(*ix->count));
  for (size_t i = 0; i < WHO_CELL_LEVELS; i++) ix->level_count[i] = 0;
  if (ix->head && ix->count) return 0;
  who_index_free(ix);
  return -1;
}

void who_index_free(who_index *ix) {
  free(ix->head);
  free(ix->count);
  ix->head = NULL;
  ix->count = NULL;
}

uint32_t who_cell(uint8_t level, uint8_t race, uint8_t cls) {
  if (race >= WHO_CELL_IDS || cls >= WHO_CELL_IDS) return WHO_CELL_ODD;
  return ((uint32_t)level * WHO_CELL_IDS + race) * WHO_CELL_IDS + cls;
}

void who_index_add(who_index *ix, oc_char *c) {
  uint32_t cell = who_cell(c->level, c->race, c->cls);
  c->cell = cell;
  c->cell_prev = NULL;
  c->cell_next = ix->head[cell];
  if (c->cell_next) c->cell_next->cell_prev = c;
  ix->head[cell] = c;
  ix->count[cell]++;
  if (cell != WHO_CELL_ODD) ix->level_count[c->level]++;
}

void who_index_del(who_index *ix, oc_char *c) {
  uint32_t cell = c->cell;
  if (c->cell_prev) c->cell_prev->cell_next = c->cell_next;
  else ix->head[cell] = c->cell_next;
  if (c->cell_next) c->cell_next->cell_prev = c->cell_prev;
  c->cell_prev = c->cell_next = NULL;
  ix->count[cell]--;
  if (cell != WHO_CELL_ODD) ix->level_count[cell / (WHO_CELL_IDS * WHO_CELL_IDS)]--;
}
