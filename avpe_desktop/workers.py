"""Pools for CPU-bound work, so the asyncio loop (and the GUI on top of it) never stalls."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")

_process_pool: ProcessPoolExecutor | None = None

WORKER_NICENESS = 10
BELOW_NORMAL_PRIORITY_CLASS = 0x4000


def cpu_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def process_pool() -> ProcessPoolExecutor:
    """One shared pool, started on first use. 'spawn' because forking a process that runs Qt
    or threads is unsafe, and it behaves the same on every OS."""
    global _process_pool
    if _process_pool is None:
        context = multiprocessing.get_context("spawn")
        _process_pool = ProcessPoolExecutor(
            max_workers=cpu_workers(), mp_context=context, initializer=_lower_priority
        )
        atexit.register(shutdown_pools)
    return _process_pool


def _lower_priority() -> None:
    """Workers (and the encoders they start, which inherit it) yield the CPU to the process
    that asked for the work: with every core busy rendering, the GUI's event loop otherwise
    waits its turn behind them (bench/ui_responsiveness.py measured stalls of 50-70 ms on two
    cores, about 35 ms with this). An idle machine renders just as fast."""
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(WORKER_NICENESS)
    elif sys.platform == "win32":
        import ctypes

        kernel32 = ctypes.windll.kernel32
        kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), BELOW_NORMAL_PRIORITY_CLASS)


def shutdown_pools() -> None:
    global _process_pool
    if _process_pool is not None:
        _process_pool.shutdown(wait=True, cancel_futures=True)
        _process_pool = None


def abandon_pools() -> None:
    """For a process about to end: work still running in the pool is thrown away rather than
    waited for (interpreter exit otherwise joins every worker, and an offline clip takes tens
    of seconds). Nothing is lost that matters: offline work starts again at the next run, at no
    cost, and paid calls are not made from the pool."""
    global _process_pool
    pool = _process_pool
    if pool is None:
        return
    _process_pool = None
    # Read before shutdown, which drops the table. Python 3.14 has terminate_workers() for this.
    workers = list((pool._processes or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join()


async def run_in_process(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Runs a picklable top-level function in the process pool."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(process_pool(), partial(fn, *args, **kwargs))


async def run_in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """For work that releases the GIL (OpenCV, ffmpeg pipes, PIL decode) or blocks on I/O."""
    return await asyncio.to_thread(fn, *args, **kwargs)
