/* Everything a Stratus plugin includes. */
#ifndef STRATUS_STRATUS_H
#define STRATUS_STRATUS_H

#include "abi.h"
#include "errors.h"
#include "plugin.h"
#include "host.h"
#include "text.h"

#endif
