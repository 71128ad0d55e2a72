"""Pools for CPU-bound work, so the asyncio loop (and the GUI on top of it) never stalls.

multiprocessing is imported when the pool starts, not with this module: the desktop app's
first screen imports this for its threads and has no use yet for a process pool.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import queue
import sys
from collections.abc import Callable
from functools import partial
from logging.handlers import QueueHandler
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

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
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

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
    """Runs a picklable top-level function in the process pool. What it logs is logged here
    too (a worker has no log file of its own)."""
    loop = asyncio.get_running_loop()
    try:
        result, records = await loop.run_in_executor(
            process_pool(), partial(_call_keeping_logs, fn, *args, **kwargs)
        )
    except Exception as exc:
        _log_here(getattr(exc, _RECORDS, []))
        raise
    _log_here(records)
    return result


_RECORDS = "avpe_worker_log_records"
"""The attribute a failure carries its worker's log records back in (an exception's attributes
are pickled with it)."""


def _log_here(records: list[logging.LogRecord]) -> None:
    for record in records:
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)


def _call_keeping_logs(
    fn: Callable[..., T], *args: Any, **kwargs: Any
) -> tuple[T, list[logging.LogRecord]]:
    """Runs in a worker: fn's result, and the app's log records (INFO and up) made meanwhile,
    with their messages and tracebacks rendered to text by QueueHandler so they pickle. They
    go no further here: the worker's own stderr would print them a second time."""
    logger = logging.getLogger("avpe_desktop")
    kept: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = QueueHandler(kept)
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    records: list[logging.LogRecord] = []  # filled as the call ends, whichever way it ends
    try:
        return fn(*args, **kwargs), records
    except Exception as exc:
        setattr(exc, _RECORDS, records)
        raise
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
        while not kept.empty():
            records.append(kept.get_nowait())


async def run_in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """For work that releases the GIL (OpenCV, ffmpeg pipes, PIL decode) or blocks on I/O."""
    return await asyncio.to_thread(fn, *args, **kwargs)
