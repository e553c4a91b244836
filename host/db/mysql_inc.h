/* <mysql.h> for files that also use host/list.h: MariaDB's ma_list.h
 * declares a list_length() of its own, which we never call; rename it. */
#ifndef STRATUS_HOST_DB_MYSQL_INC_H
#define STRATUS_HOST_DB_MYSQL_INC_H

#define list_length mariadb_list_length
#include <mysql.h>
#undef list_length

#endif
