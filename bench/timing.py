"""Timing helpers shared by the benchmarks: blocks of calls after a pause, interleaved, medians."""
import os, platform, time

import numpy as np


def time_blocks(fns, repeats=15, block=5, warmup=3, pause=0.2):
    """Median milliseconds per call of each function in `fns` (a dict name -> callable).

    Each contender runs a block of `block` calls, after a `pause`: OpenBLAS's and PyTorch's worker
    threads keep spinning for a while after a call, and on 2 cores they slow whatever runs next
    (2-3x measured), so single alternating calls would measure the neighbour's threads. The blocks
    are interleaved over `repeats` rounds so that changes in the machine's load hit all alike.
    """
    for fn in fns.values():
        for _ in range(warmup): fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            time.sleep(pause)
            start = time.perf_counter()
            for _ in range(block): fn()
            times[name].append((time.perf_counter() - start) / block)
    return {name: 1000 * float(np.median(t)) for name, t in times.items()}


def machine():
    "A one-line description of the machine and of NumPy's BLAS (library, threads, kernel)."
    from threadpoolctl import threadpool_info
    blas = [f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')}, {p.get('num_threads')} threads)"
            for p in threadpool_info() if p.get('user_api') == 'blas']
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(l.split(':', 1)[1].strip() for l in f if l.startswith('model name'))
    except (OSError, StopIteration): pass
    return f'{cpu}, {os.cpu_count()} cores; NumPy {np.__version__} with {", ".join(blas) or "unknown BLAS"}{torch_version()}'


def torch_version():
    "', PyTorch <version> (<threads> threads)', or '' without PyTorch."
    try: import torch
    except ImportError: return ''
    return f'; PyTorch {torch.__version__} ({torch.get_num_threads()} threads by default)'


def load_average():
    "The 1-minute load average (NaN where the system does not report it)."
    return os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')


def scheduling():
    "'' normally; a note when this process runs at real-time priority (e.g. `chrt -f 10`), which pauses all else."
    realtime = hasattr(os, 'sched_getscheduler') and os.sched_getscheduler(0) in (os.SCHED_FIFO, os.SCHED_RR)
    return ' (run at real-time priority: the machine\'s other processes ran only while it paused)' if realtime else ''

