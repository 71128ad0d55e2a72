"""Pools for CPU-bound work, so the asyncio loop (and the GUI on top of it) never stalls."""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")

_process_pool: ProcessPoolExecutor | None = None


def cpu_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def process_pool() -> ProcessPoolExecutor:
    """One shared pool, started on first use. 'spawn' because forking a process that runs Qt
    or threads is unsafe, and it behaves the same on every OS."""
    global _process_pool
    if _process_pool is None:
        context = multiprocessing.get_context("spawn")
        _process_pool = ProcessPoolExecutor(max_workers=cpu_workers(), mp_context=context)
        atexit.register(shutdown_pools)
    return _process_pool


def shutdown_pools() -> None:
    global _process_pool
    if _process_pool is not None:
        _process_pool.shutdown(wait=True, cancel_futures=True)
        _process_pool = None


async def run_in_process(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Runs a picklable top-level function in the process pool."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(process_pool(), partial(fn, *args, **kwargs))


async def run_in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """For work that releases the GIL (OpenCV, ffmpeg pipes, PIL decode) or blocks on I/O."""
    return await asyncio.to_thread(fn, *args, **kwargs)
