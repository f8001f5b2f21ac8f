/* mod_tokenauth configuration: every directive of SPEC §2 that exists so far. */
#ifndef TA_CONFIG_H
#define TA_CONFIG_H

#include "httpd.h"
#include "http_config.h"

#include "ta_keys.h"

/* Token sources, a bitmask (TokenAuthSources). */
#define TA_SRC_QUERY 0x1
#define TA_SRC_COOKIE 0x2
#define TA_SRC_BEARER 0x4
#define TA_SRC_ALL (TA_SRC_QUERY | TA_SRC_COOKIE | TA_SRC_BEARER)

#define TA_DEFAULT_ISSUER "tokenauth"
#define TA_DEFAULT_PAM_SERVICE "tokenauth"
#define TA_DEFAULT_QUERY_PARAM "token"
#define TA_DEFAULT_COOKIE "tokenauth"
#define TA_DEFAULT_SESSION_TTL 86400
#define TA_DEFAULT_URL_TTL 300
#define TA_DEFAULT_URL_TTL_MAX 604800
#define TA_TTL_LIMIT (10LL * 366 * 86400) /* no lifetime beyond ten years */
#define TA_DEFAULT_CACHE "shmcb"
#define TA_DEFAULT_THROTTLE_LIMIT 5
#define TA_DEFAULT_THROTTLE_WINDOW 300
#define TA_DEFAULT_THROTTLE_LOCKOUT 300
#define TA_DEFAULT_HOME_CACHE 1 /* seconds */
#define TA_HOME_CACHE_LIMIT 60

/* Server scope. */
typedef struct {
    const char *key_file;        /* TokenAuthKeyFile, as written */
    ta_keyset *keys;             /* its keys, loaded while the directive is read */
    const char *issuer;          /* TokenAuthIssuer */
    const char *pam_service;     /* TokenAuthPAMService */
    const char *login_page;      /* TokenAuthLoginTemplate, read at start-up */
    unsigned int throttle_limit; /* TokenAuthLoginThrottle N */
    long long throttle_window;   /* ... window (seconds) */
    long long throttle_lockout;  /* ... lockout (seconds) */
    unsigned int throttle_set : 1;
    unsigned long min_uid; /* TokenAuthMinUID */
    unsigned int min_uid_set : 1;
    unsigned int index; /* this virtual host's number in the helper's table (post_config) */
} ta_server_conf;

/* Directory scope (also settable at server level as the default). */
typedef struct {
    int sources; /* TokenAuthSources */
    unsigned int sources_set : 1;
    int query_sessions; /* TokenAuthQuerySessions */
    unsigned int query_sessions_set : 1;
    const char *query_param; /* TokenAuthQueryParam */
    const char *cookie;      /* TokenAuthCookie */
    long long session_ttl;   /* TokenAuthSessionTTL */
    unsigned int session_ttl_set : 1;
    long long url_ttl;     /* TokenAuthURLTokenTTL default */
    long long url_ttl_max; /* TokenAuthURLTokenTTL max */
    unsigned int url_ttl_set : 1;
    const char *login_url;  /* TokenAuthLoginURL */
    const char *logout_url; /* TokenAuthLogoutURL: where HTML pages post their sign-out button */
    int redact;             /* TokenAuthRedact */
    unsigned int redact_set : 1;
    const char *home;        /* TokenAuthHome subdir; NULL when unset, "" for Off */
    const char *home_prefix; /* the <Location> path TokenAuthHome was set in */
    int owner_only;          /* TokenAuthOwnerOnly */
    unsigned int owner_only_set : 1;
    int allow_hidden; /* TokenAuthHidden allow */
    unsigned int hidden_set : 1;
    int home_cache; /* TokenAuthHomeCache seconds; 0: never reuse a descriptor */
    unsigned int home_cache_set : 1;
} ta_dir_conf;

extern const command_rec ta_directives[];

void *ta_create_server_conf(apr_pool_t *p, server_rec *s);
void *ta_merge_server_conf(apr_pool_t *p, void *basev, void *addv);
void *ta_create_dir_conf(apr_pool_t *p, char *dir);
void *ta_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);

/* The login page template of s: TokenAuthLoginTemplate, or a plain built-in form. */
const char *ta_login_template(const server_rec *s);

/* In a process forked from the parent that is not one of the MPM's children (another
 * module's daemon): wipe every keyset, so that an HS256 secret is not left in a process that
 * never needs it and may be dumpable. The pointers stay as they are: nothing may use them. */
void ta_config_forget_keys(server_rec *s);

/* TokenAuthMinUID in force for this server: as set, else UID_MIN of /etc/login.defs. */
unsigned long ta_min_uid(const ta_server_conf *sc);

/* The effective per-request and per-server configuration. */
const ta_dir_conf *ta_dir_config(const request_rec *r);
const ta_server_conf *ta_server_config(const server_rec *s);

#endif
