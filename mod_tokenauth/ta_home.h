/* TokenAuthHome (SPEC §6) in two files: ta_home.c serves the user's files and hands directory
 * URLs to ta_listing.c, which lists them. What the two share is declared here. */
#ifndef TA_HOME_H
#define TA_HOME_H

#include "httpd.h"

#include "ta_access.h"

/* ta_home.c: the headers every answer of a user's content carries (a listing holds the user's
 * names); the HTTP status of a refusal of the helper's (a ta_confine_status); the answer when
 * the helper refuses the token the access checker accepted (revoked meanwhile, say). */
void ta_home_content_headers(request_rec *r);
int ta_home_status_of(int st);
int ta_home_token_refused(request_rec *r, const char *user);

/* ta_listing.c: answer a GET or HEAD of a directory URL (it ends in '/') of a TokenAuthHome
 * location for the token identity id: a JSON array with Accept: application/json (a page of
 * it with ?offset=&limit=), else an HTML page; every entry, as the helper lists it (tighten:
 * the location's TA_PROTO_TIGHTEN_* bits). rel is the URL path below the location ("" at its
 * root). An HTTP status, or OK once the answer is sent. */
int ta_home_list(request_rec *r, const ta_request *id, unsigned tighten, const char *rel);

#endif
