/* nss_ta_fold: a test-only NSS module for a user database that ignores case, as sssd or an LDAP
 * directory may be configured to: getpwnam("ALICE") and getspnam("ALICE") find alice's entries
 * of /etc/passwd and /etc/shadow, and the entry keeps its own spelling in pw_name. Listed after
 * "files" for passwd and shadow, it answers only for names "files" does not know.
 *
 * glibc loads an NSS module by its service name alone, from the system's library directories,
 * so tests/integration/test_login_names.py mounts this file, in the test namespace only, over
 * libnss_hesiod.so.2 (a module Debian ships and nothing here uses) and an nsswitch.conf that
 * names "hesiod" over the real one: hence the service name in the symbols below. Never
 * installed. */
#include <errno.h>
#include <nss.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <strings.h>

enum nss_status _nss_hesiod_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                                       size_t buflen, int *errnop);
enum nss_status _nss_hesiod_getspnam_r(const char *name, struct spwd *sp, char *buf, size_t buflen,
                                       int *errnop);

/* What a read that ended says: the end of the file (not found), or a buffer too small. */
static enum nss_status ended(int rc, int *errnop)
{
    if (rc == ERANGE) {
        *errnop = ERANGE;
        return NSS_STATUS_TRYAGAIN;
    }
    return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_hesiod_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                                       size_t buflen, int *errnop)
{
    FILE *f = fopen("/etc/passwd", "re");
    struct passwd *found = NULL;
    int rc;

    if (f == NULL) {
        *errnop = errno;
        return NSS_STATUS_UNAVAIL;
    }
    while ((rc = fgetpwent_r(f, pw, buf, buflen, &found)) == 0)
        if (strcasecmp(found->pw_name, name) == 0) {
            fclose(f);
            return NSS_STATUS_SUCCESS;
        }
    fclose(f);
    return ended(rc, errnop);
}

enum nss_status _nss_hesiod_getspnam_r(const char *name, struct spwd *sp, char *buf, size_t buflen,
                                       int *errnop)
{
    FILE *f = fopen("/etc/shadow", "re");
    struct spwd *found = NULL;
    int rc;

    if (f == NULL) {
        *errnop = errno;
        return NSS_STATUS_UNAVAIL;
    }
    while ((rc = fgetspent_r(f, sp, buf, buflen, &found)) == 0)
        if (strcasecmp(found->sp_namp, name) == 0) {
            fclose(f);
            return NSS_STATUS_SUCCESS;
        }
    fclose(f);
    return ended(rc, errnop);
}
