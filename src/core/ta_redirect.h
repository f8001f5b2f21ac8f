/* Where the login handler may send a browser after a login: only to a path of this site. */
#ifndef TA_REDIRECT_H
#define TA_REDIRECT_H

/* 1 when s is a local path: one leading '/', no "//" in the path ("//host" is another site,
 * and "/a/..//host" becomes it once normalised), no '\\' (browsers read it as '/'), no scheme,
 * no control characters or spaces, at most 2048 bytes. */
int ta_local_path_valid(const char *s);

#endif
