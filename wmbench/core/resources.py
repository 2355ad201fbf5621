"""Wall time and peak memory of a block of work, and a description of the hardware."""

from __future__ import annotations

import os
import platform
import threading
import time
from dataclasses import dataclass

import psutil

RSS_SAMPLE_SECONDS = 0.02


@dataclass(frozen=True)
class ResourceUsage:
    """Seconds a block took and its peak memory: CUDA allocator peak when CUDA is in use,
    else the process's resident set size sampled every 20 ms."""

    wall_seconds: float
    peak_memory_bytes: int
    memory_source: str


class measure:
    """Context manager: ``with measure() as m: ...``; then ``m.usage``."""

    def __enter__(self) -> measure:
        self._cuda = _cuda_in_use()
        self._stop = threading.Event()
        self._peak_rss = psutil.Process().memory_info().rss
        if self._cuda:
            import torch

            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        else:
            self._sampler = threading.Thread(target=self._sample_rss, daemon=True)
            self._sampler.start()
        self._start = time.perf_counter()
        return self

    def _sample_rss(self) -> None:
        process = psutil.Process()
        while not self._stop.wait(RSS_SAMPLE_SECONDS):
            self._peak_rss = max(self._peak_rss, process.memory_info().rss)

    def __exit__(self, *exc_info: object) -> None:
        if self._cuda:
            import torch

            torch.cuda.synchronize()
            seconds = time.perf_counter() - self._start
            self.usage = ResourceUsage(seconds, torch.cuda.max_memory_allocated(), "cuda")
            return
        seconds = time.perf_counter() - self._start
        self._stop.set()
        self._sampler.join()
        peak = max(self._peak_rss, psutil.Process().memory_info().rss)
        self.usage = ResourceUsage(seconds, peak, "rss")


def _cuda_in_use() -> bool:
    import sys

    torch = sys.modules.get("torch")
    return bool(torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized())


def hardware() -> dict[str, object]:
    """CPU, core count, memory, and the GPU when there is one."""
    info: dict[str, object] = {
        "machine": platform.machine(),
        "cpu": _cpu_name(),
        "cpu_cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
    }
    try:
        import torch
    except ImportError:
        return info
    info["torch"] = torch.__version__
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["gpu_memory_gb"] = round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1)
    return info


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
