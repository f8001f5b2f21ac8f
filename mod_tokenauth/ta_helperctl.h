/* Starting, watching and stopping the privileged helper (SPEC §6), the way mod_cgid runs its
 * daemon: forked from the parent while it is still root, restarted when it dies, killed and
 * reaped when the configuration pool goes (graceful restart, stop). */
#ifndef TA_HELPERCTL_H
#define TA_HELPERCTL_H

#include "httpd.h"

/* post_config: start the helper (not in the pre-config dry run). */
int ta_helper_start(apr_pool_t *pconf, server_rec *s);

/* The socket Apache's children use to reach the helper. */
const char *ta_helper_socket(void);

#endif
