"""Times scikit-learn KMeans on the matrix written by test/bench/kmeans.ts, from the same initial centroids.

Usage: kmeans_sklearn.py DATA.bin INIT.bin N D K MAX_ITER TOL [SEED]  -> one JSON line {seconds, cpuSeconds, inertia, iterations, version}.
Both files are little-endian float64, row-major (N×D and K×D). With SEED, INIT is ignored and scikit-learn seeds
with its own greedy k-means++ (n_init=1, which is what n_init='auto' means for k-means++ from 1.4 on).
"""
import json
import sys
import time

import numpy as np
from sklearn.cluster import KMeans

data_path, init_path, n, d, k, max_iter, tol = sys.argv[1:8]
seed = int(sys.argv[8]) if len(sys.argv) > 8 else None
n, d, k, max_iter, tol = int(n), int(d), int(k), int(max_iter), float(tol)
X = np.fromfile(data_path, dtype="<f8").reshape(n, d)
if seed is None:
    init = np.fromfile(init_path, dtype="<f8").reshape(k, d)
    model = KMeans(n_clusters=k, init=init, n_init=1, max_iter=max_iter, tol=tol, algorithm="lloyd")
else:
    model = KMeans(n_clusters=k, init="k-means++", n_init=1, max_iter=max_iter, tol=tol, random_state=seed)
start = time.perf_counter()
cpu_start = time.process_time()
model.fit(X)
seconds = time.perf_counter() - start
cpu_seconds = time.process_time() - cpu_start
import sklearn  # noqa: E402

print(json.dumps({"seconds": seconds, "cpuSeconds": cpu_seconds, "inertia": float(model.inertia_), "iterations": int(model.n_iter_), "version": sklearn.__version__}))
