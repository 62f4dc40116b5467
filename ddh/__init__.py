"""The ground floor of the DDH frontdesk: settings, logging and redaction.

OpenBLAS and the embedding engine's OpenMP threads fight over the cores when both
spin up (p95 query latency went from 16 ms to over 1 s in measurements), so the
OpenBLAS pool is pinned to one thread before numpy is imported anywhere.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
