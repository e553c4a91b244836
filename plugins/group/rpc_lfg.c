/* Dungeon-finder groups: filled in below. */
#include "group.h"
#include "rpc.h"

const stratus_method group_lfg_methods[] = {{0}};
const size_t group_lfg_methods_n = 0;
