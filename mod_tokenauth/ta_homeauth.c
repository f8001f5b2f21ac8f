/* Does the location of a TokenAuthHome get "AuthType token"? Worked out from the configuration
 * tree the way httpd merges <Location> sections for a request: first the main server's
 * sections, then those of the virtual host, each in the order written, every one whose path or
 * regular expression matches; the last AuthType set wins. An "AuthType token" inside <If>,
 * <ElseIf> or <Else> may apply, so it is enough: the check refuses only what is sure to fail. */
#include "ta_homeauth.h"

#include "ap_regex.h"
#include "apr_fnmatch.h"
#include "apr_strings.h"
#include "util_cfgtree.h"

typedef struct {
    const char *type;            /* the last AuthType that applies whatever the request, or NULL */
    const ap_directive_t *where; /* the directive that set it */
    int maybe_token;             /* an "AuthType token" inside <If>, <ElseIf> or <Else> */
} auth_seen;

static int named(const ap_directive_t *d, const char *name)
{
    return d->directive != NULL && strcasecmp(d->directive, name) == 0;
}

/* The path or regular expression of a <Location> or <LocationMatch> node, parsed as httpd's core
 * parses it; *regex says which. NULL for any other node. */
static const char *location_of(apr_pool_t *p, const ap_directive_t *d, int *regex)
{
    const char *args, *end, *entry;

    if (named(d, "<LocationMatch"))
        *regex = 1;
    else if (named(d, "<Location"))
        *regex = 0;
    else
        return NULL;
    if (d->args == NULL || (end = strrchr(d->args, '>')) == NULL)
        return NULL;
    args = apr_pstrmemdup(p, d->args, (apr_size_t)(end - d->args));
    entry = ap_getword_conf(p, &args);
    if (!*regex && strcmp(entry, "~") == 0) {
        *regex = 1;
        entry = ap_getword_conf(p, &args);
    }
    return *entry ? entry : NULL;
}

/* Does a section for entry apply to the request path uri? As httpd's location walk decides:
 * a regular expression anywhere in it, a wildcard over whole segments, else a prefix that ends
 * at a segment boundary. */
static int entry_matches(const char *entry, const ap_regex_t *re, const char *uri)
{
    size_t len = strlen(entry);

    if (re != NULL)
        return ap_regexec(re, uri, 0, NULL, 0) == 0;
    if (apr_fnmatch_test(entry))
        return apr_fnmatch(entry, uri, APR_FNM_PATHNAME) == APR_SUCCESS;
    return strncmp(entry, uri, len) == 0 &&
           (len == 0 || entry[len - 1] == '/' || uri[len] == '/' || uri[len] == '\0');
}

/* The requests of a home location are its path and what lies below it: a section counts when
 * it matches the path itself or the path with a "/" after it (<Location /files/> covers every
 * file of a <Location /files> home). */
static int applies(apr_pool_t *p, const char *entry, int regex, const char *path)
{
    ap_regex_t *re = NULL;
    size_t n = strlen(path);

    if (regex && (re = ap_pregcomp(p, entry, AP_REG_EXTENDED)) == NULL)
        return 0; /* httpd refuses it when it reads that section */
    return entry_matches(entry, re, path) ||
           (n > 0 && path[n - 1] != '/' &&
            entry_matches(entry, re, apr_pstrcat(p, path, "/", NULL)));
}

/* The AuthType directives among a section's children; those in <Limit> and <LimitExcept> apply
 * to every method all the same, those in <If>, <ElseIf> and <Else> only sometimes. */
static void scan(apr_pool_t *p, const ap_directive_t *d, int conditional, auth_seen *a)
{
    for (; d != NULL; d = d->next) {
        if (named(d, "AuthType")) {
            const char *args = d->args ? d->args : "";
            const char *type = ap_getword_conf(p, &args);

            if (conditional)
                a->maybe_token |= strcasecmp(type, "token") == 0;
            else {
                a->type = type;
                a->where = d;
            }
        }
        else if (named(d, "<Limit") || named(d, "<LimitExcept"))
            scan(p, d->first_child, conditional, a);
        else if (named(d, "<If") || named(d, "<ElseIf") || named(d, "<Else"))
            scan(p, d->first_child, 1, a);
    }
}

/* Every <Location> and <LocationMatch> among d and its siblings that applies to path. */
static void scan_scope(apr_pool_t *p, const ap_directive_t *d, const char *path, auth_seen *a)
{
    for (; d != NULL; d = d->next) {
        int regex = 0;
        const char *entry = location_of(p, d, &regex);

        if (entry != NULL && applies(p, entry, regex, path))
            scan(p, d->first_child, 0, a);
    }
}

/* Every AuthType that applies to path, worked out in a pool of its own: each check compiles
 * every <LocationMatch> again, and the temporary pool lives until the whole configuration is
 * read, so a thousand homes beside a thousand regular expressions would keep a million
 * compiled ones. The AuthType found is copied out before the pool goes. */
static int home_auth(cmd_parms *cmd, const ap_directive_t *vhost, auth_seen *a)
{
    apr_pool_t *p;

    if (apr_pool_create(&p, cmd->temp_pool) != APR_SUCCESS)
        return -1;
    scan_scope(p, ap_conftree, cmd->path, a); /* the main server's apply in every host */
    if (vhost != NULL)
        scan_scope(p, vhost->first_child, cmd->path, a);
    if (a->type != NULL)
        a->type = apr_pstrdup(cmd->temp_pool, a->type);
    apr_pool_destroy(p);
    return 0;
}

const char *ta_home_auth_problem(cmd_parms *cmd)
{
    const ap_directive_t *vhost = cmd->directive->parent;
    auth_seen a = {NULL, NULL, 0};

    while (vhost != NULL && !named(vhost, "<VirtualHost"))
        vhost = vhost->parent;
    if (home_auth(cmd, vhost, &a) != 0)
        return "cannot check its AuthType: out of memory";
    if ((a.type != NULL && strcasecmp(a.type, "token") == 0) || a.maybe_token)
        return NULL;
    if (a.type == NULL)
        return apr_psprintf(cmd->pool,
                            "no \"AuthType token\" applies to <Location %s>, so every request "
                            "here would be refused. Add \"AuthType token\" and \"Require "
                            "valid-user\" to this section.",
                            cmd->path);
    return apr_psprintf(cmd->pool,
                        "<Location %s> is under \"AuthType %s\" (%s:%d), not \"AuthType token\", "
                        "so every request here would be refused. Use \"AuthType token\" "
                        "and \"Require valid-user\" here instead.",
                        cmd->path, a.type, a.where->filename ? a.where->filename : "?",
                        a.where->line_num);
}
