/* TokenAuthHome (SPEC §6): the token user's own files, opened by the privileged helper with
 * that user's credentials and confined below ~user/subdir; this side never opens or even
 * resolves the path itself: the descriptor it is handed is the file it sends. */
#include "ta_access.h"
#include "ta_filestatus.h"
#include "ta_config.h"
#include "ta_handlers.h"
#include "ta_helper_client.h"
#include "ta_helperctl.h"
#include "ta_home.h"
#include "ta_homecache.h"
#include "ta_http.h"
#include "ta_page.h"

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

APLOG_USE_MODULE(tokenauth);

#define HOME_HANDLER "tokenauth-home"
#define HOME_FILENAME "tokenauth-home:/" /* r->filename of a home request: no file of Apache's */
#define OPEN_TIMEOUT_MS 10000
#define COPY_CHUNK 65536 /* bytes of a sub-request's file read at a time */

/* The part of r->uri below the TokenAuthHome location, without its leading '/'; NULL when
 * the request is not under it. *bare: the URI is the location itself, without a slash. */
static const char *relative_path(request_rec *r, const ta_dir_conf *dc, int *bare)
{
    size_t n = strlen(dc->home_prefix);

    while (n > 1 && dc->home_prefix[n - 1] == '/')
        n--;
    *bare = 0;
    if (strncmp(r->uri, dc->home_prefix, n) != 0)
        return NULL;
    if (r->uri[n] == '\0') {
        *bare = n > 1; /* "/" itself is never bare: its slash is its last character */
        return "";
    }
    if (r->uri[n] != '/' && dc->home_prefix[n - 1] != '/')
        return NULL; /* /filesx is not under /files */
    return r->uri + n + (r->uri[n] == '/');
}

static int serves_home(request_rec *r, const ta_dir_conf *dc)
{
    int bare;

    if (dc == NULL || dc->home == NULL || dc->home[0] == '\0' || dc->home_prefix == NULL)
        return 0; /* unset, Off, or a SetHandler without TokenAuthHome */
    return relative_path(r, dc, &bare) != NULL;
}

/* The content type (and encoding, language) of the user's file from its name, and nothing
 * more: mod_mime also adds the filters of AddOutputFilter/AddInputFilter for the extension
 * (SSI for .shtml, say), which must never run on a user's file. At fixups no resource filter
 * is in place yet, so the chains as they were before are the chains without those. */
static void type_by_name(request_rec *r)
{
    ap_filter_t *out = r->output_filters, *in = r->input_filters;

    r->content_type = NULL;
    ap_run_type_checker(r);
    r->output_filters = out;
    r->input_filters = in;
}

/* A request of a home location gets the file name "tokenauth-home:/rel" (no file of Apache's):
 * 1; 0 for any other request, untouched. */
static int claim_filename(request_rec *r, const ta_dir_conf *dc)
{
    int bare;

    if (!serves_home(r, dc))
        return 0;
    r->filename = apr_pstrcat(r->pool, HOME_FILENAME, relative_path(r, dc, &bare), NULL);
    return 1;
}

/* translate_name, after Alias, Redirect and RewriteRule had their turn: a URL of a home
 * location names a user's file, not one of the document root. */
int ta_home_translate(request_rec *r)
{
    return claim_filename(r, ta_dir_config(r)) ? OK : DECLINED;
}

/* map_to_storage: nothing of a home URL is in the document root, so Apache need not walk it
 * (a stat per component, .htaccess files that do not concern it); <Location> still applies.
 * Any other request is walked, and its .htaccess files may hook other modules' code into every
 * phase from here on (mod_lua's LuaHookFixups, say): the cache is closed before. */
int ta_home_map_to_storage(request_rec *r)
{
    if (r->filename && strncmp(r->filename, HOME_FILENAME, sizeof(HOME_FILENAME) - 1) == 0)
        return OK;
    ta_homecache_flush();
    return DECLINED;
}

/* Claim the request for the handler below, whatever AddHandler or SetHandler said, and give
 * mod_mime a name to take the type from: Apache mapped the URL into the document root (the
 * location's configuration is not known yet when it does), where nothing of ours lives. */
int ta_home_fixups(request_rec *r)
{
    if (!claim_filename(r, ta_dir_config(r)))
        return DECLINED;
    r->path_info = NULL;
    memset(&r->finfo, 0, sizeof(r->finfo));
    r->finfo.filetype = APR_NOFILE;
    type_by_name(r);
    r->handler = HOME_HANDLER;
    return DECLINED;
}

/* The verified identity the request acts with (for a share token, the owner who shared its
 * one path); the helper verifies its token again. NULL when the location lacks AuthType token. */
static const ta_request *token_identity(request_rec *r)
{
    const ta_request *id = ta_request_identity(r);

    if (id == NULL && r->main)
        id = ta_request_identity(r->main);
    return id && id->token ? id : NULL;
}

/* r->finfo from what the helper's fstat said, so that ETag, Last-Modified and the
 * conditional and range logic of httpd work on it as on any file. */
static void set_finfo(request_rec *r, const ta_file_info *fi)
{
    r->finfo.valid = APR_FINFO_TYPE | APR_FINFO_SIZE | APR_FINFO_MTIME | APR_FINFO_INODE |
                     APR_FINFO_DEV | APR_FINFO_PROT;
    r->finfo.filetype = APR_REG;
    r->finfo.size = (apr_off_t)fi->size;
    r->finfo.mtime = apr_time_from_sec(fi->mtime_sec) + fi->mtime_nsec / 1000;
    r->finfo.inode = (apr_ino_t)fi->ino;
    r->finfo.device = (apr_dev_t)fi->dev;
    r->finfo.protection = (apr_fileperms_t)(fi->mode & 0777);
}

/* Whether the browser opens the response as a page (a link followed, an address typed), not
 * as an image or a script's fetch of another page. */
static int is_navigation(request_rec *r)
{
    const char *mode = apr_table_get(r->headers_in, "Sec-Fetch-Mode");

    return mode && strcasecmp(mode, "navigate") == 0;
}

/* The user's content may be anything, HTML included: it must not run as this site. */
void ta_home_content_headers(request_rec *r)
{
    apr_table_setn(r->headers_out, "Content-Security-Policy", "sandbox");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    /* one URL, a different file for every user: a shared browser must ask again (a 304 is
     * cheap) rather than show one user's cached file to the next. But Back and Forward show
     * a page from the cache without asking ("no-cache" or not): a file opened as a page is
     * not stored at all, so that after signing out going back shows no file. Images and other
     * subresources keep their 304s; Vary keeps the two apart in the browser's cache.
     * err_headers_out, where it replaces the "private" of token-authenticated answers. */
    apr_table_mergen(r->headers_out, "Vary", "Sec-Fetch-Mode");
    apr_table_setn(r->err_headers_out, "Cache-Control",
                   is_navigation(r) ? "private, no-store" : "private, no-cache");
}

/* The file as a file bucket, so that sendfile and the byte-range filter work. The descriptor
 * stays lent to the request until its pool goes, which is after the connection has sent what
 * the bucket names (the bucket names the descriptor, it does not own it). */
static int send_file(request_rec *r, int fd)
{
    core_dir_config *cd = ap_get_core_module_config(r->per_dir_config);
    apr_int32_t flags = APR_FOPEN_READ | APR_FOPEN_NOCLEANUP;
    apr_file_t *f = NULL;
    apr_bucket_brigade *bb;

    if (cd->enable_sendfile == ENABLE_SENDFILE_ON)
        flags |= APR_FOPEN_SENDFILE_ENABLED;
    if (apr_os_file_put(&f, &fd, flags, r->pool) != APR_SUCCESS)
        return HTTP_INTERNAL_SERVER_ERROR;
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    if (!r->header_only && r->finfo.size > 0)
        apr_brigade_insert_file(bb, f, 0, r->finfo.size, r->pool);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(r->connection->bucket_alloc));
    return ap_pass_brigade_fchk(r, bb, "tokenauth: sending a home file");
}

/* A sub-request's file, copied out, and its descriptor given back before the sub-request
 * returns. The request that made it (an SSI page, a PHP script's virtual()) goes on in this
 * process and may run code that is not ours next (the script after virtual(), a script the
 * page includes next), and may end the sub-request's pool at once: a file bucket would leave
 * the descriptor open for that code, or be read after the descriptor went back. */
static int send_copy(request_rec *r, int fd)
{
    apr_bucket_alloc_t *ba = r->connection->bucket_alloc;
    apr_bucket_brigade *bb = apr_brigade_create(r->pool, ba);
    char *buf = apr_palloc(r->pool, COPY_CHUNK);
    apr_off_t off = 0;
    apr_status_t rv = APR_SUCCESS;
    ssize_t n = 0;
    int err = 0;

    while (!r->header_only && off < r->finfo.size && rv == APR_SUCCESS) {
        apr_off_t want = r->finfo.size - off < COPY_CHUNK ? r->finfo.size - off : COPY_CHUNK;

        do
            n = pread(fd, buf, (size_t)want, (off_t)off);
        while (n < 0 && errno == EINTR);
        if (n <= 0) {
            err = n < 0 ? errno : 0;
            break; /* an error, or the file shrank meanwhile: what there was */
        }
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_transient_create(buf, (apr_size_t)n, ba));
        rv = ap_pass_brigade(r->output_filters, bb); /* filters keep only copies of it */
        apr_brigade_cleanup(bb);
        off += n;
    }
    ta_homecache_release(r);
    if (err) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, APR_FROM_OS_ERROR(err), r,
                      "TA00105: reading %s for a sub-request", r->uri);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (rv != APR_SUCCESS) /* as ap_pass_brigade_fchk answers */
        return rv == AP_FILTER_ERROR ? AP_FILTER_ERROR : HTTP_INTERNAL_SERVER_ERROR;
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
    return ap_pass_brigade_fchk(r, bb, "tokenauth: sending a home file");
}

/* Send the descriptor with the helper's (or a cached descriptor's) status of the file. The
 * descriptor belongs to the request already (ta_homecache_keep, ta_homecache_take): it goes
 * back to the cache or is closed with the request pool, or before, on every path. */
static int send_descriptor(request_rec *r, int fd, const ta_file_info *fi)
{
    int rv;

    set_finfo(r, fi);
    ta_home_content_headers(r);
    ap_update_mtime(r, r->finfo.mtime);
    ap_set_last_modified(r);
    ap_set_etag(r);
    apr_table_setn(r->headers_out, "Accept-Ranges", "bytes");
    ap_set_content_length(r, r->finfo.size);
    if ((rv = ap_meets_conditions(r)) != OK) {
        ta_homecache_release(r); /* 304 or 412: the file is not sent */
        return rv;
    }
    return r->main ? send_copy(r, fd) : send_file(r, fd);
}

/* A refusal of the helper's as an HTTP status. Forbidden and malformed paths are 403 and 404:
 * never the content, and no more detail than that. */
int ta_home_status_of(int st)
{
    switch (st) {
    case TA_CONFINE_NOT_FOUND:
    case TA_CONFINE_BAD_PATH:
        return HTTP_NOT_FOUND;
    case TA_CONFINE_FORBIDDEN:
    case TA_CONFINE_BAD_USER:
        return HTTP_FORBIDDEN;
    default:
        return HTTP_INTERNAL_SERVER_ERROR;
    }
}

/* This location's own policy, which the helper adds to its copy of the configuration: a
 * setting in a section the helper's copy does not model (<Directory>, <LocationMatch>) still
 * holds, while a worker that leaves these bits out gains nothing (the helper's own stand). */
static unsigned tighten(const ta_dir_conf *dc)
{
    return (dc->owner_only ? TA_PROTO_TIGHTEN_OWNER_ONLY : 0) |
           (dc->allow_hidden ? 0 : TA_PROTO_TIGHTEN_HIDE);
}

/* 301 to the directory's URL with its slash. The query goes along as it came (the token in
 * it too, before TokenAuthRedact scrubbed it from the request): an app that follows the
 * redirect with a url token keeps its access. */
static int redirect_to_directory(request_rec *r)
{
    const ta_request *n = ta_note(r, 0);
    const char *args = n && n->args ? n->args : r->args;
    const char *path = apr_pstrcat(r->pool, ap_escape_uri(r->pool, r->uri), "/",
                                   args && *args ? "?" : "", args && *args ? args : "", NULL);

    apr_table_setn(r->headers_out, "Location", ap_construct_url(r->pool, path, r));
    return HTTP_MOVED_PERMANENTLY;
}

/* The helper refused the token the access checker had accepted (revoked in the ledger, say):
 * what the access checker would have answered. */
int ta_home_token_refused(request_rec *r, const char *user)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "TA00043: the helper refused %s's token for %s",
                  user, r->uri);
    return HTTP_UNAUTHORIZED;
}

/* A request of a home location, claimed by ta_home_fixups: the file, the directory's listing,
 * or the status of a refusal. */
static int serve_home(request_rec *r)
{
    const ta_dir_conf *dc = ta_dir_config(r);
    const ta_request *id;
    const char *user, *rel, *key;
    struct stat cached;
    ta_file_info fi;
    char err[256] = "";
    int bare, fd = -1, st;

    if (!serves_home(r, dc)) /* "SetHandler tokenauth-home" without TokenAuthHome */
        return HTTP_NOT_FOUND;
    ap_allow_methods(r, REPLACE_ALLOW, "GET", "HEAD", NULL);
    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    if ((id = token_identity(r)) == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "TA00041: TokenAuthHome needs AuthType token in its location");
        return HTTP_FORBIDDEN;
    }
    user = id->claims.sub;
    if ((rel = relative_path(r, dc, &bare)) == NULL)
        return HTTP_NOT_FOUND;
    key = ta_homecache_key(r, dc, tighten(dc), id);
    if (ta_homecache_take(r, key, &fd, &cached)) {
        ta_file_info_from_stat(&cached, &fi);
        return send_descriptor(r, fd, &fi);
    }
    st = ta_helper_open(OPEN_TIMEOUT_MS, ta_server_config(r->server)->index, tighten(dc), id->token,
                        r->uri, &fd, &fi, err, sizeof(err));
    if (st == TA_HELPER_UNAVAILABLE) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TA00040: home file for %s: %s", user, err);
        return ta_unavailable(r);
    }
    if (st == TA_CONFINE_OK) {
        ta_homecache_keep(r, key, fd, dc->home_cache);
        return send_descriptor(r, fd, &fi);
    }
    if (st == TA_CONFINE_BAD_TOKEN)
        return ta_home_token_refused(r, user);
    if (st != TA_CONFINE_IS_DIR) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "TA00042: %s of %s refused: %s", rel, user,
                      ta_confine_status_name(st));
        return ta_home_status_of(st);
    }
    if (bare || (r->uri[0] && r->uri[strlen(r->uri) - 1] != '/'))
        return redirect_to_directory(r);
    return ta_home_list(r, id, tighten(dc), rel);
}

int ta_home_handler(request_rec *r)
{
    if (r->handler == NULL || strcmp(r->handler, HOME_HANDLER) != 0)
        return DECLINED;
    /* a refusal gets a page for people, unless the administrator set an ErrorDocument */
    return ta_page_answer(r, serve_home(r));
}
