/* Starting, watching and stopping the privileged helper (SPEC §6), the way mod_cgid runs its
 * daemon: its own program (tokenauth-helper, beside the module), executed by the parent while
 * it is still root, restarted when it dies, stopped and reaped when the configuration pool goes
 * (graceful restart, stop). It is reached only through the hub, a socket pair the parent makes
 * once: the children inherit one end, so nothing but Apache's children can ask it anything. */
#ifndef TA_HELPERCTL_H
#define TA_HELPERCTL_H

#include "httpd.h"

/* pre_config: make sure no process the parent forks, other than the helper, keeps the hub's
 * helper end. */
void ta_helper_pre_config(void);

/* post_config: start the helper (not in the pre-config dry run). */
int ta_helper_start(apr_pool_t *pconf, server_rec *s);

/* child_init: close the helper's end of the hub, make the child non-dumpable, and let it talk
 * to the helper through its own end. */
void ta_helper_child_init(server_rec *s);

#endif
