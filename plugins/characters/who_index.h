/*
 * A realm's who index: every online character sits in one cell per (level,
 * race, class) on an intrusive list, with a count per cell and per level. A
 * /who without zone or text filters then adds up the counts of the cells its
 * level range, race and class masks and faction admit (a fixed number of
 * cells, however many are online) and lists characters from those cells
 * until the result limit. Races and classes of 16 and more (none in 3.3.5a)
 * go to one extra list that such a query scans.
 */
#ifndef STRATUS_CHARS_WHO_INDEX_H
#define STRATUS_CHARS_WHO_INDEX_H

#include <stdint.h>

#define WHO_CELL_LEVELS 256
#define WHO_CELL_IDS 16 /* races and classes 0..15 */
#define WHO_CELLS (WHO_CELL_LEVELS * WHO_CELL_IDS * WHO_CELL_IDS)
#define WHO_CELL_ODD WHO_CELLS /* the extra list */

struct oc_char;

typedef struct who_index {
  struct oc_char **head;  /* WHO_CELLS + 1 lists */
  uint32_t *count;        /* WHO_CELLS + 1 counts */
  uint32_t level_count[WHO_CELL_LEVELS];
} who_index;

/* 0 or -1 when memory runs out. */
int who_index_init(who_index *ix);
void who_index_free(who_index *ix);
uint32_t who_cell(uint8_t level, uint8_t race, uint8_t cls);
/* Lists c under its current level, race and class (remembered in c). */
void who_index_add(who_index *ix, struct oc_char *c);
void who_index_del(who_index *ix, struct oc_char *c);

#endif
