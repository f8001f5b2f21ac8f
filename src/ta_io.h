/* Socket I/O shared by the helper and its client. */
#ifndef TA_IO_H
#define TA_IO_H

#include <stddef.h>

/* Send all n bytes on a socket, across short writes and EINTR, without SIGPIPE. 0 or -1. */
int ta_send_all(int fd, const unsigned char *p, size_t n);

#endif
