/* Names of the confined-open verdicts, for logs on both sides. */
#include "ta_filestatus.h"

#include <stddef.h>

static const char *const status_names[] = {
    [TA_CONFINE_OK] = "ok",
    [TA_CONFINE_IS_DIR] = "is_dir",
    [TA_CONFINE_NOT_FOUND] = "not_found",
    [TA_CONFINE_FORBIDDEN] = "forbidden",
    [TA_CONFINE_BAD_PATH] = "bad_path",
    [TA_CONFINE_BAD_USER] = "bad_user",
    [TA_CONFINE_ERROR] = "error",
    [TA_CONFINE_BAD_TOKEN] = "bad_token",
    [TA_CONFINE_TOO_LARGE] = "too_large",
};

const char *ta_confine_status_name(ta_confine_status st)
{
    if ((size_t)st < sizeof(status_names) / sizeof(status_names[0]) && status_names[st])
        return status_names[st];
    return "unknown";
}
