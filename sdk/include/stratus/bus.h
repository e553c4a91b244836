/*
 * The event bus: ToCloud9-style events {"v":..., "t":..., "p":{...}} on NATS
 * subjects (or in process when [bus] nats_url is empty).
 */
#ifndef STRATUS_BUS_H
#define STRATUS_BUS_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

typedef struct stratus_sub stratus_sub; /* a subscription, host-owned */

typedef struct stratus_event {
  uint32_t struct_size;  /* sizeof(stratus_event) as the host filled it */
  uint32_t reserved;
  const char *subject;   /* the concrete subject it arrived on */
  int64_t type;          /* envelope "t"; -1 when the message has no envelope */
  const char *version;   /* envelope "v", "" when absent */
  const char *payload;   /* envelope "p" as JSON text (NUL-terminated), or
                            the whole message when it has no envelope */
  size_t payload_len;
  const void *raw;       /* the message bytes as received */
  size_t raw_len;
} stratus_event;

/* Runs on the loop thread; `ev` and everything it points to are valid only
 * during the call. */
typedef void (*stratus_event_cb)(stratus_ctx *ctx, const stratus_event *ev,
                                 void *ud);

#endif
