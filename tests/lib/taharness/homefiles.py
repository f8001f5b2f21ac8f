"""What the TokenAuthHome tests share: a home location of the configuration, a file planted in
a user's ~/public as that user, and which Apache children hold a file open."""

import os

from . import procs

LOCATION = """
<Location {path}>
    AuthType token
    AuthName "files"
    Require valid-user
    TokenAuthHome public
    {extra}
</Location>
"""


def location(path: str, extra: str = "") -> str:
    """A <Location> serving ~user/public under path, with extra directives in it."""
    return LOCATION.format(path=path, extra=extra)


def put_file(user, rel: str, data, mode=0o644):
    """A file at ~user/public/rel, owned by the user (its folder too); its host path."""
    p = user.host_home / "public" / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    os.chown(p.parent, user.uid, user.gid)
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    os.chmod(p, mode)
    os.chown(p, user.uid, user.gid)
    return p


def holders(srv, needle: str) -> list:
    """The Apache children of srv that hold a descriptor whose path contains needle."""
    found = []
    for pid in srv.child_pids():
        try:
            if any(needle in t for t in procs.descriptors(pid).values()):
                found.append(pid)
        except OSError:
            pass
    return found


def make_files_as(user, directory, names) -> None:
    """Empty files named names (str or bytes) in directory, created by a child that takes the
    user's ids: owned by the user as their own uploads would be, and quickly."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(user.gid, user.gid, user.gid)
            os.setresuid(user.uid, user.uid, user.uid)
            dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            for n in names:
                os.close(os.open(n, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=dfd))
            os._exit(0)
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def mkdir_as(user, path):
    """path (and its parents) made, owned by the user."""
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, user.uid, user.gid)
    return path


# For attack scripts in an Apache child: a PHP function fd_scan() that lists every descriptor of
# the process, where it leads and what it holds (pread, through PHP's FFI: a file the worker user
# may not open by name is read all the same).
PHP_SCAN = r"""
function fd_scan() {
    $libc = FFI::cdef('long pread(int fd, void *buf, size_t n, long off);', 'libc.so.6');
    $found = [];
    for ($fd = 0; $fd < 1024; $fd++) {
        $target = @readlink("/proc/self/fd/$fd");
        if ($target === false)
            continue;
        $buf = $libc->new("char[4096]");
        $n = $libc->pread($fd, $buf, 4096, 0);
        $found[] = ["fd" => $fd, "target" => $target,
                    "content" => $n > 0 ? bin2hex(FFI::string($buf, $n)) : ""];
    }
    return $found;
}
"""
