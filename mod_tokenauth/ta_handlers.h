/* The handlers of SPEC §4, one file each. */
#ifndef TA_HANDLERS_H
#define TA_HANDLERS_H

#include "httpd.h"

/* SetHandler tokenauth-login */
int ta_login_handler(request_rec *r);

/* SetHandler tokenauth-logout */
int ta_logout_handler(request_rec *r);

/* SetHandler tokenauth-mint */
int ta_mint_handler(request_rec *r);

/* SetHandler tokenauth-whoami */
int ta_whoami_handler(request_rec *r);

/* SetHandler tokenauth-jwks */
int ta_jwks_handler(request_rec *r);

/* TokenAuthHome (ta_home.c): translate_name and map_to_storage keep Apache out of the
 * document root for these URLs, fixups claims the requests of these locations, the handler
 * serves them. */
int ta_home_translate(request_rec *r);
int ta_home_map_to_storage(request_rec *r);
int ta_home_fixups(request_rec *r);
int ta_home_handler(request_rec *r);

#endif
