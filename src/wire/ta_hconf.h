/* The helper's own copy of the configuration (SPEC §6: "the subdirectory and the owner/hidden
 * policy come from the helper's own copy of the configuration, never from the request").
 *
 * The Apache parent writes it once per start as text into a sealed memory file that the helper
 * inherits; the helper parses it strictly before it serves anything. One record a line, fields
 * separated by one space, every value percent-encoded (bytes outside 0x21-0x7e, and '%'):
 *
 *   tokenauth-helper-config 1
 *   client UID GID MAXCLIENTS PERPEER LOGLEVEL file|syslog
 *   ledger PATH SLOTS | ledger - -
 *   server ISSUER KEYFILE PAMSERVICE LIMIT WINDOW LOCKOUT MINUID  SETTINGS
 *   loc SERVER PATH  SETTINGS
 *
 * SETTINGS are the directory-scope values the helper needs, each "-" where the section does
 * not set it: HOME (":SUBDIR" for TokenAuthHome, "off" for Off), OWNER_ONLY (0/1), HIDDEN_ALLOW
 * (0/1), SESSION_TTL, URL_TTL, URL_TTL_MAX. A server line's settings are its defaults (none
 * left unset); loc lines follow in Apache's configuration order, each naming its server by
 * index (servers are numbered in the order of their lines, from 0). */
#ifndef TA_HCONF_H
#define TA_HCONF_H

#include <stddef.h>

#include "ta_keys.h"

#define TA_HCONF_MAX (4 * 1024 * 1024) /* bytes of text the helper reads, at most */

/* One section's directory settings; the *_set flags say which it sets. */
typedef struct {
    const char *home; /* TokenAuthHome subdir; NULL with home_set: Off */
    int owner_only, allow_hidden;
    long long session_ttl, url_ttl, url_ttl_max;
    unsigned home_set : 1, owner_set : 1, hidden_set : 1, session_set : 1, url_set : 1;
} ta_hsettings;

typedef struct {
    const char *issuer, *key_file, *pam_service;
    unsigned throttle_limit;
    long long throttle_window, throttle_lockout;
    unsigned long min_uid; /* TokenAuthMinUID: no login, no token honoured below it */
    ta_hsettings defaults; /* every flag set */
    ta_keyset *keys;       /* loaded by the helper after parsing; NULL until then */
    int nodelay; /* set by the helper: the PAM service's own file says nodelay (ta_pamconf.h) */
} ta_hserver;

typedef struct {
    unsigned server;
    const char *path; /* the <Location> path */
    ta_hsettings s;
} ta_hloc;

typedef struct {
    unsigned long client_uid, client_gid;
    unsigned max_clients;
    unsigned per_peer;     /* connections one process may hold at once */
    int log_level;         /* the most verbose syslog level to write (LogLevel tokenauth:...) */
    int log_syslog;        /* Apache logs to syslog: so does the helper */
    const char *ledger;    /* the revocation ledger's path (for messages; the descriptor is
                            * inherited), or NULL when there is none */
    unsigned ledger_slots; /* its size, as the parent made it */
    size_t nservers, nlocs;
    size_t server_room, loc_room; /* the arrays' sizes */
    ta_hserver *servers;
    ta_hloc *locs;
    char *text; /* the decoded strings live here */
} ta_hconf;

/* What applies to one URL path of one server: its merged settings. */
typedef struct {
    const ta_hserver *server;
    const char *home;        /* NULL: not a TokenAuthHome path */
    const char *home_prefix; /* the path of the section that set home */
    int owner_only, allow_hidden;
    long long session_ttl, url_ttl, url_ttl_max;
} ta_hpolicy;

/* Parse buf[0..len). 0 and *out (free with ta_hconf_free), or -1 with one line in err naming
 * the line number and what is wrong. Never reads past len; refuses anything unexpected. */
int ta_hconf_parse(const char *buf, size_t len, ta_hconf **out, char *err, size_t errlen);
void ta_hconf_free(ta_hconf *c);

/* The settings for path (an absolute URL path) on server, merged as Apache merges <Location>
 * sections: the server's defaults, then every section whose path covers path, in order.
 * -1 when server is not in the table. */
int ta_hconf_policy(const ta_hconf *c, unsigned server, const char *path, ta_hpolicy *out);

/* 1 when the <Location> path loc covers the URL path (equal, or a prefix ending at a '/'). */
int ta_hconf_covers(const char *loc, const char *path);

/* The part of path below prefix, without its leading '/' ("" for the prefix itself); NULL when
 * path is not below it. *bare: path is the prefix itself without its trailing slash. */
const char *ta_hconf_below(const char *prefix, const char *path, int *bare);

/* Percent-encode s for a config line into out (cap bytes). 0, or -1 when it does not fit. */
int ta_hconf_encode(const char *s, char *out, size_t cap);

#endif
