/* tokenauth-whoami (SPEC §4): who the request's token says it is. */
#include "ta_access.h"
#include "ta_handlers.h"
#include "ta_http.h"

#include "http_protocol.h"
#include "http_request.h"

int ta_whoami_handler(request_rec *r)
{
    const ta_request *id = NULL;
    int rv;

    if (r->handler == NULL || strcmp(r->handler, "tokenauth-whoami") != 0)
        return DECLINED;
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    ap_allow_methods(r, REPLACE_ALLOW, "GET", NULL);
    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    /* In a location without AuthType token, the token is looked for here (bearer or
     * cookie), held to the same rules. */
    if ((rv = ta_authenticate_header_or_cookie(r, &id, 1)) != OK) {
        if (rv != HTTP_UNAUTHORIZED)
            return rv;
        ta_bearer_challenge(r, NULL);
        return ta_send_json(r, HTTP_UNAUTHORIZED, json_pack("{s:s}", "error", "unauthorized"));
    }
    if (id->claims.kind == TA_KIND_SHARE) /* a share link reads its one path, nothing more */
        return ta_send_json(r, HTTP_FORBIDDEN, json_pack("{s:s}", "error", "insufficient_scope"));
    return ta_send_json(r, HTTP_OK,
                        json_pack("{s:s, s:I, s:s, s:I}", "user", id->claims.sub, "uid",
                                  (json_int_t)id->claims.uid, "kind", ta_kind_name(id->claims.kind),
                                  "expires_at", (json_int_t)id->claims.exp));
}
