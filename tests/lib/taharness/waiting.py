"""Bounded polling: wait for a condition instead of sleeping for a guessed time."""

import time


def wait_until(predicate, timeout: float, interval: float = 0.05):
    """Call predicate until it returns something truthy or timeout passes; return that value
    (or the last falsy one)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
