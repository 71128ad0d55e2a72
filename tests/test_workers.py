"""The process pool at the end of a process: work still running is dropped, not waited for."""

from __future__ import annotations

import time
from concurrent.futures.process import BrokenProcessPool

from avpe_desktop.workers import abandon_pools, process_pool


def test_abandoning_the_pool_ends_its_running_work_at_once() -> None:
    pool = process_pool()
    work = pool.submit(time.sleep, 600)
    deadline = time.monotonic() + 60
    while not work.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = list(pool._processes.values())
    assert work.running() and workers

    abandon_pools()

    deadline = time.monotonic() + 10  # a guard, not a timing: the work itself takes 10 min
    while any(worker.is_alive() for worker in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(worker.is_alive() for worker in workers)
    assert isinstance(work.exception(timeout=30), BrokenProcessPool)
    assert process_pool() is not pool  # the next use starts a fresh pool
