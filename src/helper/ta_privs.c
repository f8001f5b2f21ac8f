/* Capabilities through the raw capget/capset calls: libcap is one more library in a root
 * process for two system calls. */
#include "ta_privs.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KEEP ((1u << CAP_SETUID) | (1u << CAP_SETGID))

static int fail(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s: %s", what, strerror(errno));
    return -1;
}

int ta_privs_lock_process(char *err, size_t errlen)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return fail(err, errlen, "PR_SET_NO_NEW_PRIVS");
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return fail(err, errlen, "PR_SET_DUMPABLE");
    return 0;
}

/* The bounding set first: dropping from it needs CAP_SETPCAP, which goes right after. */
static int drop_bounding(char *err, size_t errlen)
{
    for (unsigned cap = 0; cap <= 63; cap++) {
        if (KEEP & (cap < 32 ? 1u << cap : 0))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            return fail(err, errlen, "PR_CAPBSET_DROP");
    }
    return 0;
}

int ta_privs_drop_caps(char *err, size_t errlen)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];

    if (geteuid() != 0)
        return 0;
    if (drop_bounding(err, errlen) != 0)
        return -1;
    memset(data, 0, sizeof(data));
    data[0].effective = data[0].permitted = KEEP;
    if (syscall(SYS_capset, &hdr, data) != 0)
        return fail(err, errlen, "capset");
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capget, &hdr, data) != 0)
        return fail(err, errlen, "capget");
    if (data[0].permitted != KEEP || data[0].effective != KEEP || data[0].inheritable ||
        data[1].permitted || data[1].effective || data[1].inheritable) {
        snprintf(err, errlen, "capabilities still held after capset");
        return -1;
    }
    return 0;
}
