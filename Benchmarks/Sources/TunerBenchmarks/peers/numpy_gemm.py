"""numpy/OpenBLAS GEMM on one thread, the peer of TunerBenchmarks' GEMM table.

Usage: python numpy_gemm.py MxNxK[/A|/B] ...   Prints one JSON line: {"MxNxK": GFLOP/s, ..., "threadpool_info": "..."}
A suffix /A or /B stores that operand transposed: the product takes a transposed view of it,
which numpy hands to BLAS with a transpose flag (no copy), as the trainer reads it in place.

       python numpy_gemm.py --library   Prints {"filepath": ..., "threadpool_info": "..."}: the
OpenBLAS library numpy loaded, which the benchmark also calls in its own process.
"""
import json
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

result = {}
with threadpool_limits(limits=1):
    info = [f"{p.get('internal_api')} {p.get('version')} {p.get('architecture')} threads={p.get('num_threads')}"
            for p in threadpool_info()]
    result["threadpool_info"] = "; ".join(info)
    if sys.argv[1:] == ["--library"]:
        libraries = [p["filepath"] for p in threadpool_info() if p.get("internal_api") == "openblas"]
        if libraries:
            result["filepath"] = libraries[0]
        print(json.dumps(result))
        sys.exit(0)
    rng = np.random.default_rng(1)
    for shape in sys.argv[1:]:
        dims, _, transposed = shape.partition("/")
        m, n, k = (int(v) for v in dims.split("x"))
        a = rng.random((k, m), dtype=np.float32).T if transposed == "A" else rng.random((m, k), dtype=np.float32)
        b = rng.random((n, k), dtype=np.float32).T if transposed == "B" else rng.random((k, n), dtype=np.float32)
        c = np.empty((m, n), dtype=np.float32)
        flops = 2.0 * m * n * k
        inner = max(1, int(2e8 / flops))
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(inner):
                np.matmul(a, b, out=c)
            best = min(best, (time.perf_counter() - start) / inner)
        result[shape] = flops / best / 1e9
print(json.dumps(result))
