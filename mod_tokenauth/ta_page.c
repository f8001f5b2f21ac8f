/* Pages for people: styled HTML error pages and the parts HTML listings share with them. */
#include "ta_page.h"
#include "ta_config.h"
#include "ta_http.h"

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mod_core.h"

APLOG_USE_MODULE(tokenauth);

/* One style for every page: light, and dark where the system asks for it. */
#define STYLE                                                                                      \
    ":root{color-scheme:light dark;--bg:#f5f6f8;--fg:#1d2025;--muted:#5c636d;--card:#fff;"         \
    "--line:#d9dde3;--accent:#1b5fb0}"                                                             \
    "@media (prefers-color-scheme:dark){:root{--bg:#15171a;--fg:#e6e8eb;--muted:#a2a9b3;"          \
    "--card:#1f2226;--line:#363b42;--accent:#7fb2f0}}"                                             \
    "*{box-sizing:border-box}"                                                                     \
    "body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,sans-serif}"       \
    "main{max-width:56rem;margin:0 auto;padding:1rem}"                                             \
    "h1{font-size:1.35rem;margin:.3rem 0 .8rem;overflow-wrap:anywhere}"                            \
    "a{color:var(--accent)}.muted{color:var(--muted)}"                                             \
    ".card{background:var(--card);border:1px solid var(--line);border-radius:.6rem;"               \
    "padding:1.2rem 1.4rem;margin-top:1.5rem}"                                                     \
    ".account{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;justify-content:flex-end;"  \
    "padding:.5rem 1rem;background:var(--card);border-bottom:1px solid var(--line)}"               \
    ".account span{margin-right:auto;overflow-wrap:anywhere}.account form{margin:0}"               \
    "button{font:inherit;padding:.35rem .9rem;border:1px solid var(--line);border-radius:.4rem;"   \
    "background:var(--bg);color:var(--fg);cursor:pointer}"                                         \
    "button:hover,button:focus-visible{border-color:var(--accent)}"                                \
    "table{width:100%;border-collapse:collapse;background:var(--card)}"                            \
    "th,td{padding:.45rem .6rem;text-align:left;border-bottom:1px solid var(--line)}"              \
    "td a{overflow-wrap:anywhere}td+td,th+th{white-space:nowrap}"

/* What a page says: what happened, and what to do about it. */
typedef struct {
    const char *title;
    const char *message;
    const char *todo;
} page_text;

/* Indexed by ta_refusal; [0] for a link (a query token), [1] for a session. */
static const page_text refusal_text[][2] = {
    [TA_REFUSED_NO_TOKEN] = {{"You are not signed in",
                              "This page is only for people who are signed in.",
                              "Sign in, then open this address again."},
                             {"You are not signed in",
                              "This page is only for people who are signed in.",
                              "Sign in, then open this address again."}},
    [TA_REFUSED_EXPIRED] = {{"This link has expired",
                             "The link you followed was valid for a limited time only.",
                             "Ask the person who shared it for a new link."},
                            {"Your session has expired",
                             "You were signed in for a limited time, and it is over.",
                             "Sign in again, then reload this page."}},
    [TA_REFUSED_OUT_OF_SCOPE] =
        {{"This link is not valid for this file",
          "The link you followed opens another file or folder, and it can only view, not change.",
          "Open the link exactly as it was shared, or ask for a link to this file."},
         {"This link is not valid for this file",
          "The link you followed opens another file or folder, and it can only view, not change.",
          "Open the link exactly as it was shared, or ask for a link to this file."}},
    [TA_REFUSED_REVOKED] =
        {{"This link was withdrawn",
          "The person who shared it has revoked it, or has signed out everywhere.",
          "Ask them for a new link."},
         {"You have been signed out",
          "This session was ended, here or by signing out everywhere on another device.",
          "Sign in again."}},
    [TA_REFUSED_INVALID] = {{"This link is not valid",
                             "The address is damaged or incomplete, or it does not belong "
                             "to this server.",
                             "Check that you copied the whole address, or ask for a new link."},
                            {"Your sign-in is not valid",
                             "Your browser sent a sign-in that this server does not "
                             "accept.",
                             "Sign in again."}},
};

ta_refusal ta_refusal_of(ta_token_status st, int sent)
{
    if (!sent)
        return TA_REFUSED_NO_TOKEN;
    switch (st) {
    case TA_TOKEN_EXPIRED:
        return TA_REFUSED_EXPIRED;
    case TA_TOKEN_OUT_OF_SCOPE:
    case TA_TOKEN_BAD_METHOD:
        return TA_REFUSED_OUT_OF_SCOPE;
    case TA_TOKEN_REVOKED:
        return TA_REFUSED_REVOKED;
    default:
        return TA_REFUSED_INVALID;
    }
}

const char *ta_refusal_description(ta_refusal why)
{
    switch (why) {
    case TA_REFUSED_EXPIRED:
        return "The token has expired";
    case TA_REFUSED_OUT_OF_SCOPE:
        return "The token is not valid for this path or method";
    case TA_REFUSED_REVOKED:
        return "The token has been revoked";
    case TA_REFUSED_INVALID:
        return "The token is malformed or does not verify";
    default:
        return NULL;
    }
}

int ta_page_wanted(request_rec *r)
{
    const char *accept = apr_table_get(r->headers_in, "Accept");

    return accept && ap_strcasestr(accept, "text/html") != NULL && !ta_wants_json(r);
}

/* The code point of the UTF-8 sequence at s (at most n bytes), its length in *len; -1 (and
 * *len 1) for a byte that starts no valid sequence: overlong forms, surrogates and values
 * above U+10FFFF included. */
static long utf8_decode(const unsigned char *s, size_t n, size_t *len)
{
    static const long min[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t need = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
    long cp = need == 4 ? s[0] & 0x07 : need == 3 ? s[0] & 0x0f : s[0] & 0x1f;

    *len = 1;
    if (need == 0 || s[0] > 0xf4 || n < need)
        return -1;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min[need] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *len = need;
    return cp;
}

const char *ta_page_escape(apr_pool_t *p, const char *s)
{
    size_t n = strlen(s), at = 0, len;
    char *out = apr_palloc(p, n * 10 + 1); /* "&#x10FFFF;" is the longest form of one byte */

    for (size_t i = 0; i < n; i += len) {
        unsigned char c = (unsigned char)s[i];
        long cp = c;

        len = 1;
        if (c >= 0x80)
            cp = utf8_decode((const unsigned char *)s + i, n - i, &len);
        if (cp < 0 || (cp < 0x20 && c != '\t' && c != '\n') || cp == 0x7f)
            cp = 0xfffd;
        if (cp == '&' || cp == '<' || cp == '>' || cp == '"' || cp == '\'' || cp > 0x7e)
            at += (size_t)apr_snprintf(out + at, 11, "&#x%lX;", cp);
        else
            out[at++] = (char)cp;
    }
    out[at] = '\0';
    return out;
}

/* A sign-out button posting to url, with all=1 for "everywhere". */
static const char *sign_out_form(apr_pool_t *p, const char *url, int all)
{
    return apr_pstrcat(
        p, "<form method=\"post\" action=\"", ta_page_escape(p, url), "\">",
        all ? "<input type=\"hidden\" name=\"all\" value=\"1\">" : "", "<button type=\"submit\"",
        all ? " class=\"all\">Sign out everywhere" : ">Sign out", "</button></form>", NULL);
}

/* Who the page is for: the signed-in user with the sign-out buttons, or the user whose link
 * is open (a url or share token cannot sign anyone out). The buttons only where the session
 * came in the cookie: their post carries the cookie and nothing else, so for a session from
 * the query string (TokenAuthQuerySessions) or a header they would answer "signed out" while
 * the session the page was opened with lives on. */
static const char *account_bar(request_rec *r, const ta_request *id)
{
    const ta_dir_conf *dc = ta_dir_config(r);
    const char *user = ta_page_escape(r->pool, id->claims.sub);
    int session = id->claims.kind == TA_KIND_SESSION;
    int buttons = session && dc->logout_url && id->source == TA_FROM_COOKIE;

    if (!session)
        return apr_pstrcat(r->pool, "<header class=\"account\"><span>Shared by <strong>", user,
                           "</strong></span></header>\n", NULL);
    return apr_pstrcat(r->pool, "<header class=\"account\"><span>Signed in as <strong>", user,
                       "</strong></span>", buttons ? sign_out_form(r->pool, dc->logout_url, 0) : "",
                       buttons ? sign_out_form(r->pool, dc->logout_url, 1) : "", "</header>\n",
                       NULL);
}

const char *ta_page_head(request_rec *r, const char *title, const ta_request *id)
{
    return apr_pstrcat(r->pool,
                       "<!DOCTYPE html>\n<html lang=\"en\"><head>\n"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                       "<meta name=\"referrer\" content=\"no-referrer\">\n<title>",
                       ta_page_escape(r->pool, title), "</title>\n<style>" STYLE "</style>\n",
                       "</head>\n<body>\n", id ? account_bar(r, id) : "", "<main>\n", NULL);
}

const char *ta_page_foot(void)
{
    return "</main>\n</body></html>\n";
}

/* A whole message page. detail (the address the page is about) and link with its text are
 * optional; all of them are escaped here. */
static const char *message_page(request_rec *r, const page_text *t, const ta_request *id,
                                const char *detail, const char *link, const char *link_text)
{
    apr_pool_t *p = r->pool;

    return apr_pstrcat(p, ta_page_head(r, t->title, id), "<div class=\"card\">\n<h1>",
                       ta_page_escape(p, t->title), "</h1>\n<p>", ta_page_escape(p, t->message),
                       "</p>\n", detail ? "<p class=\"muted\"><code>" : "",
                       detail ? ta_page_escape(p, detail) : "", detail ? "</code></p>\n" : "",
                       "<p>", ta_page_escape(p, t->todo), "</p>\n", link ? "<p><a href=\"" : "",
                       link ? ta_page_escape(p, link) : "", link ? "\">" : "",
                       link ? ta_page_escape(p, link_text) : "", link ? "</a></p>\n" : "",
                       "</div>\n", ta_page_foot(), NULL);
}

/* 1 when the administrator set an ErrorDocument (or a module a response text) for status. */
static int has_error_document(request_rec *r, int status)
{
    return ap_response_code_string(r, ap_index_of_response(status)) != NULL;
}

int ta_page_refused(request_rec *r, ta_refusal why, int from_link)
{
    if (has_error_document(r, HTTP_UNAUTHORIZED))
        return HTTP_UNAUTHORIZED;
    ap_discard_request_body(r);
    r->status = HTTP_UNAUTHORIZED;
    apr_table_setn(r->err_headers_out, "Content-Security-Policy", TA_PAGE_CSP);
    ap_set_content_type(r, "text/html; charset=utf-8");
    if (!r->header_only)
        ap_rputs(message_page(r, &refusal_text[why][from_link ? 0 : 1], NULL, NULL, NULL, NULL), r);
    return DONE;
}

/* The page of a status of a home location; NULL for a status without one. */
static const page_text *status_text(int status)
{
    static const page_text forbidden = {
        "You cannot open this",
        "This file or folder is not yours, or it is not shared with you. Private and hidden "
        "files, and links that lead out of a folder, are never shown.",
        "Go back to your files, or ask the owner to share it with you."};
    static const page_text not_found = {
        "Not found",
        "There is no file or folder at this address. It may have been moved, renamed or deleted.",
        "Check the address, or go back to your files."};
    static const page_text not_allowed = {"This is not possible here",
                                          "Files here can only be viewed and downloaded.",
                                          "Open the file with an ordinary link."};
    static const page_text unavailable = {
        "Busy for a moment", "The file service is restarting or cannot be reached right now.",
        "Wait a few seconds, then reload this page."};
    static const page_text too_large = {
        "This folder is too large to list", "It holds more entries than the server lists at once.",
        "Open a subfolder or a file by its address, or ask the administrator to split the folder."};

    switch (status) {
    case HTTP_UNAUTHORIZED:
        return &refusal_text[TA_REFUSED_REVOKED][1];
    case HTTP_FORBIDDEN:
        return &forbidden;
    case HTTP_NOT_FOUND:
        return &not_found;
    case HTTP_METHOD_NOT_ALLOWED:
        return &not_allowed;
    case HTTP_SERVICE_UNAVAILABLE:
        return &unavailable;
    case HTTP_INSUFFICIENT_STORAGE:
        return &too_large;
    default:
        return NULL;
    }
}

int ta_page_answer(request_rec *r, int status)
{
    const ta_dir_conf *dc = ta_dir_config(r);
    const page_text *t = status_text(status);
    /* a 401: the helper refused the token, nobody is signed in any more */
    const ta_request *id = status == HTTP_UNAUTHORIZED ? NULL : ta_request_identity(r);
    int session = id && id->claims.kind == TA_KIND_SESSION;

    if (t == NULL || r->main)
        return status;
    /* a browser and an API client get different answers at one URL: no cache may mix them */
    apr_table_mergen(r->err_headers_out, "Vary", "Accept");
    if (!ta_page_wanted(r) || has_error_document(r, status))
        return status;
    apr_table_setn(r->err_headers_out, "Content-Security-Policy", TA_PAGE_CSP);
    /* a session may go back to the location's root; a link reaches its own scope only */
    ap_custom_response(r, status,
                       message_page(r, t, id, r->uri,
                                    session && dc->home_prefix ? dc->home_prefix : NULL,
                                    "Go to your files"));
    return status;
}
