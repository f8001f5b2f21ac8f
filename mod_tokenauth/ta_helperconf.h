/* The helper's copy of the configuration (SPEC §6): what the Apache parent tells the helper
 * at start-up, in the text format of src/wire/ta_hconf.h. The helper decides every request
 * from this copy, never from what a worker says. */
#ifndef TA_HELPERCONF_H
#define TA_HELPERCONF_H

#include "httpd.h"

/* Number the virtual hosts (ta_server_conf.index) and write the configuration text: every
 * server's key file, issuer, PAM service, throttle and directory defaults, and every
 * <Location> section's settings, in configuration order; ledger is the revocation ledger's
 * path (or NULL) and ledger_slots its size. NULL (logged) on failure. */
const char *ta_helperconf_text(apr_pool_t *p, server_rec *s, unsigned long client_uid,
                               unsigned long client_gid, unsigned max_clients, unsigned per_peer,
                               const char *ledger, unsigned ledger_slots);

#endif
