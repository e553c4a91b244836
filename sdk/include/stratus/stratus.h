/* Everything a Stratus plugin includes. */
#ifndef STRATUS_STRATUS_H
#define STRATUS_STRATUS_H

#include "abi.h"
#include "errors.h"
#include "plugin.h"
#include "host.h"
#include "text.h"

#if defined(__has_include)
#if __has_include(<stratus/proto/contracts.h>)
#include <stratus/proto/contracts.h>
#endif
#endif

#endif
