"""A real redis-server for tests of a shared TokenAuthCache: on a free loopback port, its data
in the test's own directory, stopped by its own pid. Stopping it (SIGTERM) saves a snapshot
that the next start loads, as a persistent production redis would."""

import os
import signal
import subprocess
from pathlib import Path

from . import ports
from .waiting import wait_until

REDIS_SERVER = "/usr/bin/redis-server"
START_TIMEOUT = 10


class RedisServer:
    def __init__(self, workdir: Path):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = ports.free_port()
        self.proc = None

    def start(self) -> "RedisServer":
        log = open(self.dir / "redis.log", "ab")
        try:
            self.proc = subprocess.Popen(
                [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port),
                 "--dir", str(self.dir), "--dbfilename", "dump.rdb", "--save", "3600 1",
                 "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no",
                 "--maxmemory-policy", "noeviction"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        finally:
            log.close()
        if not wait_until(lambda: self.proc.poll() is not None or ports.accepts(self.port),
                          START_TIMEOUT) or self.proc.poll() is not None:
            raise RuntimeError("redis-server did not start:\n" +
                               (self.dir / "redis.log").read_text(errors="replace"))
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None

    def key_count(self) -> int:
        out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), "DBSIZE"],
                             capture_output=True, text=True, timeout=10)
        return int(out.stdout.strip())

    def commands_processed(self) -> int:
        """redis' own count of commands served (INFO stats), the INFO call included."""
        out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), "INFO",
                              "stats"], capture_output=True, text=True, timeout=10)
        for line in out.stdout.splitlines():
            if line.startswith("total_commands_processed:"):
                return int(line.split(":", 1)[1])
        raise RuntimeError("no total_commands_processed in INFO: " + out.stdout[:200])
