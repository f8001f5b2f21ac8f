/* Socket I/O shared by the helper and its client. */
#include "ta_io.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/types.h>

int ta_send_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}
