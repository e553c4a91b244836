/*
 * Error codes shared by the host and plugins: 0 is success, a failure is a
 * negative STRATUS_E* value. The low ones mirror Linux errno numbers so that
 * a system error maps onto them by negation; the rest are Stratus's own.
 * stratus_strerror() and stratus_err_name() are inline so a plugin needs no
 * host symbol to use them.
 */
#ifndef STRATUS_ERRORS_H
#define STRATUS_ERRORS_H

#define STRATUS_OK          0
#define STRATUS_ENOENT      (-2)
#define STRATUS_EIO         (-5)
#define STRATUS_EAGAIN      (-11)
#define STRATUS_ENOMEM      (-12)
#define STRATUS_EBUSY       (-16)
#define STRATUS_EEXIST      (-17)
#define STRATUS_EINVAL      (-22)
#define STRATUS_ERANGE      (-34)
#define STRATUS_ENOTSUP     (-95)
#define STRATUS_ETIMEDOUT   (-110)
#define STRATUS_ECANCELED   (-125)
/* Stratus's own codes. */
#define STRATUS_EVERSION    (-4001) /* ABI major or magic mismatch */
#define STRATUS_ECONFIG     (-4002) /* invalid configuration */
#define STRATUS_EDRAINING   (-4003) /* the plugin instance is stopping */
#define STRATUS_EUNAVAILABLE (-4004) /* a database, bus or peer is down */
#define STRATUS_EDB         (-4005) /* the database refused a statement */
#define STRATUS_ECONFLICT   (-4006) /* a unique key or version check failed */
#define STRATUS_ENOTFOUND   (-4007) /* a looked-up record does not exist */
#define STRATUS_EPLUGIN     (-4008) /* a plugin callback reported failure */

static inline const char *stratus_err_name(int code) {
  switch (code) {
  case STRATUS_OK: return "STRATUS_OK";
  case STRATUS_ENOENT: return "STRATUS_ENOENT";
  case STRATUS_EIO: return "STRATUS_EIO";
  case STRATUS_EAGAIN: return "STRATUS_EAGAIN";
  case STRATUS_ENOMEM: return "STRATUS_ENOMEM";
  case STRATUS_EBUSY: return "STRATUS_EBUSY";
  case STRATUS_EEXIST: return "STRATUS_EEXIST";
  case STRATUS_EINVAL: return "STRATUS_EINVAL";
  case STRATUS_ERANGE: return "STRATUS_ERANGE";
  case STRATUS_ENOTSUP: return "STRATUS_ENOTSUP";
  case STRATUS_ETIMEDOUT: return "STRATUS_ETIMEDOUT";
  case STRATUS_ECANCELED: return "STRATUS_ECANCELED";
  case STRATUS_EVERSION: return "STRATUS_EVERSION";
  case STRATUS_ECONFIG: return "STRATUS_ECONFIG";
  case STRATUS_EDRAINING: return "STRATUS_EDRAINING";
  case STRATUS_EUNAVAILABLE: return "STRATUS_EUNAVAILABLE";
  case STRATUS_EDB: return "STRATUS_EDB";
  case STRATUS_ECONFLICT: return "STRATUS_ECONFLICT";
  case STRATUS_ENOTFOUND: return "STRATUS_ENOTFOUND";
  case STRATUS_EPLUGIN: return "STRATUS_EPLUGIN";
  default: return "STRATUS_E?";
  }
}

static inline const char *stratus_strerror(int code) {
  switch (code) {
  case STRATUS_OK: return "success";
  case STRATUS_ENOENT: return "no such file or entry";
  case STRATUS_EIO: return "input/output error";
  case STRATUS_EAGAIN: return "try again";
  case STRATUS_ENOMEM: return "out of memory";
  case STRATUS_EBUSY: return "resource busy";
  case STRATUS_EEXIST: return "already exists";
  case STRATUS_EINVAL: return "invalid argument";
  case STRATUS_ERANGE: return "value out of range";
  case STRATUS_ENOTSUP: return "not supported by this host";
  case STRATUS_ETIMEDOUT: return "timed out";
  case STRATUS_ECANCELED: return "cancelled";
  case STRATUS_EVERSION: return "incompatible plugin ABI";
  case STRATUS_ECONFIG: return "invalid configuration";
  case STRATUS_EDRAINING: return "plugin instance is draining";
  case STRATUS_EUNAVAILABLE: return "service unavailable";
  case STRATUS_EDB: return "database error";
  case STRATUS_ECONFLICT: return "conflict with existing data";
  case STRATUS_ENOTFOUND: return "not found";
  case STRATUS_EPLUGIN: return "plugin reported failure";
  default: return "unknown error";
  }
}

#endif
