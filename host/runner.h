/*
 * The runner of declared methods (the SDK's method.h) and the per-call
 * arena that its requests carry.
 */
#ifndef STRATUS_HOST_RUNNER_H
#define STRATUS_HOST_RUNNER_H

#include <stratus/host.h>

/* The request's arena (any thread that holds the request). */
void *req_alloc(stratus_req *req, size_t size);
char *req_strdup(stratus_req *req, const char *s, size_t len);

/* rows_read and rows_collect (rows_map.c). */
int rows_map_read(stratus_rows *rows, stratus_req *req, const stratus_col *cols, size_t ncols,
                  void *out);
int rows_map_collect(stratus_rows *rows, stratus_req *req, const stratus_col *cols,
                     size_t ncols, size_t elem_size, const void *tmpl, void **out, size_t *n);

#endif
