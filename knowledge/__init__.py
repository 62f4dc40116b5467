"""Knowledge: the registry, the guide corpus, importers, the Chroma index and retrieval."""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
