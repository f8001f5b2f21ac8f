/* Socket I/O shared by the helper and its client. */
#ifndef TA_IO_H
#define TA_IO_H

#include <stddef.h>

/* Send all n bytes on a socket, across short writes and EINTR, without SIGPIPE. 0 or -1. */
int ta_send_all(int fd, const unsigned char *p, size_t n);

/* The same, with fd (unless -1) passed as SCM_RIGHTS along with the first bytes, so that the
 * descriptor arrives with the start of its frame. The caller still owns fd. 0 or -1. */
int ta_send_frame_fd(int sock, const unsigned char *p, size_t n, int fd);

/* Receive exactly one frame into buf[0..cap) within timeout_ms (for the whole frame), and at
 * most one descriptor sent with it, opened close-on-exec in *fd (-1 when none came). Only the
 * frame's own bytes are read, never the start of the next one, so that a descriptor is never
 * taken with the wrong frame. 0 and the frame's length in *flen; -1 (and *fd -1, every
 * descriptor that came closed) on timeout, end of stream, a bad header, a frame larger than
 * cap, a second descriptor or any other ancillary data. The frame is only framed, not decoded:
 * a caller that finds it malformed must close *fd. */
int ta_recv_frame_fd(int sock, int timeout_ms, unsigned char *buf, size_t cap, size_t *flen,
                     int *fd);

/* The answer to the one request outstanding on a blocking socket whose SO_RCVTIMEO bounds the
 * wait: one frame (and at most one descriptor) read with as few calls as possible, as no
 * other frame can follow it. 0, or -1 (any descriptor that came is closed). */
int ta_recv_answer_fd(int sock, unsigned char *buf, size_t cap, size_t *flen, int *fd);

#endif
