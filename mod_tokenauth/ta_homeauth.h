/* Start-up check of TokenAuthHome: the requests of its location must be authenticated by
 * "AuthType token", or the home handler refuses every one of them (403, TA00041). */
#ifndef TA_HOMEAUTH_H
#define TA_HOMEAUTH_H

#include "httpd.h"
#include "http_config.h"

/* For the TokenAuthHome directive being read (cmd->directive, directly inside the plain
 * <Location cmd->path>): NULL when an "AuthType token" applies to that location, else what is
 * wrong and how to fix it, without the "Directive (file:line): " that the caller puts first.
 * Reads the configuration tree, which httpd builds whole before it runs any directive. */
const char *ta_home_auth_problem(cmd_parms *cmd);

#endif
