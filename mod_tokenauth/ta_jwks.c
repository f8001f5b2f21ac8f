/* tokenauth-jwks (SPEC §4): the public half of every EdDSA key of this server's key file, as
 * a JWK Set, for backends that verify our tokens with a standard JWT library. No
 * authentication: public keys are public, and HS256 secrets never appear. */
#include "ta_config.h"
#include "ta_handlers.h"
#include "ta_http.h"
#include "ta_jwks.h"

#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

APLOG_USE_MODULE(tokenauth);

/* Five minutes: backends and proxies may keep the set that long, so a busy backend does not
 * ask on every token. Keys change only when the server reloads its key file; a new key is
 * added (second in the file) a reload before it becomes the signing key, and JWT libraries
 * fetch the set again on an unknown kid, so the delay costs nothing. */
#define JWKS_CACHE_CONTROL "public, max-age=300"

int ta_jwks_handler(request_rec *r)
{
    const ta_server_conf *sc;
    apr_size_t cap, len = 0;
    char *body;

    if (r->handler == NULL || strcmp(r->handler, "tokenauth-jwks") != 0)
        return DECLINED;
    ap_allow_methods(r, REPLACE_ALLOW, "GET", "OPTIONS", NULL); /* GET allows HEAD too */
    if (r->method_number == M_OPTIONS)
        return ta_answer_options(r);
    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    sc = ta_server_config(r->server);
    cap = ta_jwks_size(sc->keys);
    body = apr_palloc(r->pool, cap);
    if (ta_jwks_write(sc->keys, body, cap, &len) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "TA00090: cannot write the JWKS");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_set_content_type(r, "application/jwk-set+json");
    apr_table_setn(r->headers_out, "Cache-Control", JWKS_CACHE_CONTROL);
    ap_set_content_length(r, (apr_off_t)len);
    if (!r->header_only && ap_rwrite(body, (int)len, r) < 0)
        return AP_FILTER_ERROR; /* the client went away; the filters have said so */
    return OK;
}
