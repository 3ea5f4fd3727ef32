"""One BLAS thread per session thread.

Streamlit runs every session's reruns in threads of one process; OpenBLAS, behind numpy's matrix products,
starts threads of its own for every product above a small size. The two fight for the same cores: on this 2-core
machine a (500 x 34) @ (34 x 128) product took 12 ms instead of 0.2 ms while other work ran, and 0.27 ms instead
of 0.13 ms on a quiet machine. The app's products are small and its parallelism is its sessions (and
``optim.run``'s own threads), so BLAS gets one thread. Set once per process, by ``app.py``.
"""

from __future__ import annotations

import functools

from threadpoolctl import threadpool_limits


@functools.lru_cache(maxsize=1)  # once per process
def one_blas_thread() -> None:
    threadpool_limits(limits=1, user_api="blas")
