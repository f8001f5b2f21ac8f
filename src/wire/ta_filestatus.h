/* The verdict of a confined open or listing (SPEC §6), as the helper decides it and the
 * protocol carries it to the worker. Shared by both sides of the wire, so it lives here and
 * not with the confinement code that only the helper runs. */
#ifndef TA_FILESTATUS_H
#define TA_FILESTATUS_H

typedef enum {
    TA_CONFINE_OK = 0,    /* a regular file, opened */
    TA_CONFINE_IS_DIR,    /* a directory, opened */
    TA_CONFINE_NOT_FOUND, /* ENOENT/ENOTDIR on the way */
    TA_CONFINE_FORBIDDEN, /* escape attempt (.., symlink out, absolute link, magic link, other
                           * mount), EACCES/EPERM, not the owner, FIFO/socket/device, hidden
                           * name */
    TA_CONFINE_BAD_PATH,  /* rel malformed: absolute, empty component ("a//b"), "." or ".."
                           * component, NUL, control chars, over PATH_MAX, component over
                           * NAME_MAX */
    TA_CONFINE_BAD_USER,  /* uid 0 (never open as root: its capabilities would bypass every
                           * permission), or creds invalid (ids out of range, too many groups,
                           * home not absolute; a helper that is not root may act only as its
                           * own uid) */
    TA_CONFINE_ERROR,     /* anything else (EMFILE, EIO, a credential switch that did not
                           * take...) */
    TA_CONFINE_BAD_TOKEN, /* the helper refused the request's token: its signature, time,
                           * kind or scope, a revocation, or an account that changed */
    TA_CONFINE_TOO_LARGE, /* a listing only: the directory holds more visible entries than
                           * the helper sorts for one answer (ta_confine_list's bounds) */
} ta_confine_status;

/* A stable lower-case name for logs ("ok", "is_dir", "not_found", ...). */
const char *ta_confine_status_name(ta_confine_status st);

#endif
