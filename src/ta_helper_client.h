/* The client side of the helper protocol, used by Apache's children. */
#ifndef TA_HELPER_CLIENT_H
#define TA_HELPER_CLIENT_H

#include <stddef.h>

/* Ask the helper at socket_path whether user/password pass PAM service. Returns a
 * ta_auth_result (TA_AUTH_OK and *uid, or why not); TA_AUTH_UNAVAILABLE also when the helper
 * cannot be reached or answers nonsense, with err saying which. Waits at most timeout_ms for
 * the answer (PAM may be slow); a helper that is restarting is retried briefly. */
int ta_helper_auth(const char *socket_path, int timeout_ms, const char *service, const char *user,
                   const char *password, const char *rhost, unsigned long *uid, char *err,
                   size_t errlen);

#endif
