/* Listings of TokenAuthHome directories (SPEC §6). The helper reads the directory with the
 * user's credentials, keeps what the owner and hidden rules let through, sorts it by name and
 * answers the window asked for in one request however large the directory (ta_helper_list);
 * this side writes it out entry by entry, as a JSON array (a page of it with ?offset=&limit=)
 * or as a plain HTML page, without building the page in memory. Names are escaped for JSON,
 * for HTML and for URLs; nothing of the listing is trusted to be printable. */
#include "ta_config.h"
#include "ta_helper_client.h"
#include "ta_home.h"
#include "ta_http.h"
#include "ta_listpage.h"
#include "ta_page.h"
#include "ta_token.h"

#include "apr_strings.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

APLOG_USE_MODULE(tokenauth);

/* For the helper's answer, and for each frame of it: a large directory on a slow disk takes
 * seconds to read and stat, and a helper that is gone is found out within a second anyway
 * (ta_helper_client.c probes it while it waits). */
#define LIST_TIMEOUT_MS 30000
#define SCRATCH_EVERY 256 /* entries written between two clears of the scratch pool */

/* A page asked for with offset or limit out of their rules: 400, as the module's other
 * refused requests, with the rule in the body. */
static int bad_page(request_rec *r, ta_page_status st)
{
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "TA00113: listing of %s refused: %s", r->uri,
                  ta_page_status_text(st));
    return ta_send_json(r, HTTP_BAD_REQUEST,
                        json_pack("{s:s, s:s}", "error", "invalid_request", "error_description",
                                  ta_page_status_text(st)));
}

/* The helper gave no listing: its verdict as an HTTP status. */
static int not_listed(request_rec *r, const ta_request *id, int st, const char *err)
{
    const char *user = id->claims.sub;

    switch (st) {
    case TA_HELPER_UNAVAILABLE:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TA00040: home listing for %s: %s", user, err);
        return ta_unavailable(r);
    case TA_CONFINE_BAD_TOKEN:
        return ta_home_token_refused(r, user);
    case TA_CONFINE_TOO_LARGE:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "TA00110: %s of %s is not listed: more entries than the helper sorts "
                      "(%u, or 64 MiB of names)",
                      r->uri, user, TA_PROTO_LIST_TOTAL_MAX);
        return HTTP_INSUFFICIENT_STORAGE;
    case TA_CONFINE_OK: /* a regular file: no directory to list */
        st = TA_CONFINE_NOT_FOUND;
        break;
    default:
        break;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "TA00111: listing of %s for %s refused: %s", r->uri,
                  user, ta_confine_status_name((ta_confine_status)st));
    return ta_home_status_of(st);
}

/* --- JSON ---------------------------------------------------------------------------------- */

/* The Link to the next page: this path, the request's other query parameters, the next
 * window. The token parameter is left out even when the request's token came in the query: a
 * response header is written to logs (%{Link}o) and kept by caches and browser tools, where
 * the access log's URL is scrubbed; and a client sends its token again the way it sent this
 * one (a web app by cookie or bearer header, an app with a url token appends it to every URL
 * it loads anyway). */
static const char *next_link(request_rec *r, const ta_page *pg, size_t count)
{
    const ta_dir_conf *dc = ta_dir_config(r);
    const char *param = dc->query_param ? dc->query_param : TA_DEFAULT_QUERY_PARAM;
    char *q = apr_palloc(r->pool, ta_page_next_query_bufsize(r->args));

    ta_page_next_query(r->args, param, (uint64_t)pg->offset + count, pg->limit, q);
    return apr_psprintf(r->pool, "<%s?%s>; rel=\"next\"", ap_escape_uri(r->pool, r->uri), q);
}

static void json_entry(request_rec *r, apr_pool_t *p, const ta_list_entry *e, int first)
{
    size_t n = strlen(e->name);
    char *name = apr_palloc(p, TA_JSON_NAME_MAX(n));

    ta_json_name(e->name, n, name);
    ap_rprintf(r,
               "%s{\"name\":%s,\"type\":\"%s\",\"size\":%" APR_UINT64_T_FMT
               ",\"mtime\":%" APR_INT64_T_FMT "}",
               first ? "" : ",\n", name, e->is_dir ? "dir" : "file", (apr_uint64_t)e->size,
               (apr_int64_t)e->mtime);
}

/* SPEC §6: a JSON array of {"name","type","size","mtime"}, the total of the whole listing in
 * X-Total-Count, and for a page that is not the last a Link to the next. */
static int send_json(request_rec *r, ta_listing *l, const ta_page *pg)
{
    unsigned long total = ta_listing_total(l);
    const ta_list_entry *e;
    apr_pool_t *scratch;
    size_t i = 0;

    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "X-Total-Count", apr_psprintf(r->pool, "%lu", total));
    if (pg->paged && (uint64_t)pg->offset + ta_listing_count(l) < total)
        apr_table_setn(r->headers_out, "Link", next_link(r, pg, ta_listing_count(l)));
    if (r->header_only)
        return OK;
    if (apr_pool_create(&scratch, r->pool) != APR_SUCCESS)
        return HTTP_INTERNAL_SERVER_ERROR;
    ap_rputs("[", r);
    while ((e = ta_listing_next(l)) != NULL) {
        json_entry(r, scratch, e, i == 0);
        if (++i % SCRATCH_EVERY == 0)
            apr_pool_clear(scratch);
    }
    ap_rputs("]\n", r);
    apr_pool_destroy(scratch);
    return OK;
}

/* --- HTML ---------------------------------------------------------------------------------- */

/* A link to the parent directory, except at the location's root and where the request's token
 * does not reach (a url or share token scoped to this directory): no link that must fail. */
static int has_parent(request_rec *r, const ta_request *id, const char *rel)
{
    char *parent;
    size_t n = strlen(r->uri);

    if (rel[0] == '\0' || n < 2)
        return 0;
    parent = apr_pstrmemdup(r->pool, r->uri, n - 1); /* without the trailing '/' */
    *(strrchr(parent, '/') + 1) = '\0';              /* r->uri starts with '/' */
    return ta_token_check_request(&id->claims, parent, 1) == TA_TOKEN_OK;
}

/* What the page's links end with, HTML-escaped: the request's own token when it came in
 * the query string (a share link of a folder, an app's url token), so that its files and
 * folders open with the access that opened the folder; else nothing (a cookie or bearer goes
 * along by itself). The token is already in this page's own address; the page runs no script
 * and sends no Referer. Never in a sub-request: its page goes to the handler or filter that
 * asked for it (mod_include, a script's virtual()), from which TokenAuthRedact keeps the
 * token; and its relative links would not lead anywhere in the including page anyway. */
static const char *link_query(request_rec *r, const ta_request *id)
{
    const ta_dir_conf *dc = ta_dir_config(r);
    const char *param = dc->query_param ? dc->query_param : TA_DEFAULT_QUERY_PARAM;

    if (r->main || id->source != TA_FROM_QUERY || id->token == NULL)
        return "";
    return ap_escape_html2(r->pool,
                           apr_pstrcat(r->pool, "?", ap_escape_urlencoded(r->pool, param), "=",
                                       ap_escape_urlencoded(r->pool, id->token), NULL),
                           0);
}

/* The page's head (ta_page.c: the style, who is signed in, the sign-out buttons), the
 * directory's name, the parent link, the table's head. */
static void html_head(request_rec *r, const ta_request *id, int parent, const char *q)
{
    ap_rvputs(r, ta_page_head(r, r->uri, id), "<h1>", ta_page_escape(r->pool, r->uri), "</h1>\n",
              parent ? "<p><a href=\"../" : "", parent ? q : "",
              parent ? "\">Parent directory</a></p>\n" : "",
              "<table>\n<thead><tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr>"
              "</thead>\n<tbody>\n",
              NULL);
}

/* One row: the name as a link (URL-encoded, then HTML-escaped) and as text (HTML-escaped), the
 * size of a file, the time. */
static void html_entry(request_rec *r, apr_pool_t *p, const ta_list_entry *e, const char *q)
{
    const char *slash = e->is_dir ? "/" : "";
    const char *href = ap_escape_html2(p, ap_os_escape_path(p, e->name, 1), 0);
    char size[TA_HUMAN_SIZE_MAX] = "-";
    ta_utc_time t;
    int dated = ta_utc_time_of(e->mtime, &t) == 0;

    if (!e->is_dir)
        ta_human_size(e->size, size);
    ap_rvputs(r, "<tr><td><a href=\"./", href, slash, q, "\">", ap_escape_html2(p, e->name, 0),
              slash, "</a></td><td>", size, "</td><td>", dated ? "<time datetime=\"" : "-",
              dated ? t.iso : "", dated ? "\">" : "", dated ? t.shown : "", dated ? "</time>" : "",
              "</td></tr>\n", NULL);
}

/* The whole directory, written as it is read from the listing. */
static int send_html(request_rec *r, ta_listing *l, const ta_request *id, int parent)
{
    unsigned long total = ta_listing_total(l);
    const ta_list_entry *e;
    apr_pool_t *scratch;
    const char *q = link_query(r, id);
    size_t i = 0;

    ap_set_content_type(r, "text/html; charset=utf-8");
    if (r->header_only)
        return OK;
    if (apr_pool_create(&scratch, r->pool) != APR_SUCCESS)
        return HTTP_INTERNAL_SERVER_ERROR;
    html_head(r, id, parent, q);
    while ((e = ta_listing_next(l)) != NULL) {
        html_entry(r, scratch, e, q);
        if (++i % SCRATCH_EVERY == 0)
            apr_pool_clear(scratch);
    }
    ap_rprintf(r, "</tbody>\n</table>\n<p class=\"muted\">%lu %s</p>\n%s", total,
               total == 1 ? "entry" : "entries", ta_page_foot());
    apr_pool_destroy(scratch);
    return OK;
}

int ta_home_list(request_rec *r, const ta_request *id, unsigned tighten, const char *rel)
{
    int json = ta_wants_json(r), st, rv;
    ta_listing *l = NULL;
    ta_page pg = {0, 0, 0};
    ta_page_status ps;
    char err[256] = "";

    ta_home_content_headers(r);
    /* Our own page, not the user's content: no script at all, and nothing loaded from
     * anywhere, but its sign-out form may post to this site. "sandbox" would block that form
     * (and a sandboxed page's post comes from an opaque origin, which logout refuses). */
    apr_table_setn(r->headers_out, "Content-Security-Policy", TA_PAGE_CSP);
    /* a listing is the user's list of files: back or reload after signing out must not show
     * it again from the browser's cache (a file is "no-cache": asked again, never shown) */
    apr_table_setn(r->err_headers_out, "Cache-Control", "private, no-store");
    /* the paging parameters are the JSON listing's; the HTML page is the whole directory */
    if (json && (ps = ta_page_parse(r->args, &pg)) != TA_PAGE_OK)
        return bad_page(r, ps);
    st = ta_helper_list(LIST_TIMEOUT_MS, ta_server_config(r->server)->index, tighten, id->token,
                        r->uri, pg.offset, pg.paged ? pg.limit : 0, &l, err, sizeof(err));
    if (st != TA_CONFINE_IS_DIR)
        return not_listed(r, id, st, err);
    rv = json ? send_json(r, l, &pg) : send_html(r, l, id, has_parent(r, id, rel));
    ta_listing_free(l);
    return rv;
}
