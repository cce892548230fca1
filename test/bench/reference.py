"""Reference pipeline for the benchmark: what a data team would write with pandas + scikit-learn.

Same inputs and the same work as the local main job's core: parse the CSV with dates, per-customer
RFM features as of the latest event (recency, frequency, monetary, average order value, tenure,
discount share), log1p on the heavy-tailed ones, winsorise each at its 0.5th and 99.5th percentile and
standardise by the unclipped mean and standard deviation (as the job's segmentation model does, so the
two k-means minimise the same objective and their inertias are comparable), KMeans(k, n_init=4), write
one membership per customer. Prints one JSON line with per-stage seconds, peak RSS and inertia.
"""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

path, out_path, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
t0 = time.perf_counter()
df = pd.read_csv(path, parse_dates=["created_at"])
t1 = time.perf_counter()

paid = df[df["financial_status"] != "refunded"]
refunds = df[df["financial_status"] == "refunded"]
as_of = df["created_at"].max() + pd.Timedelta(milliseconds=1)
g = paid.groupby("customer_id")
feats = pd.DataFrame({
    "last": g["created_at"].max(),
    "first": g["created_at"].min(),
    "frequency": g["order_id"].nunique(),
    "gross": g["total"].sum(),
    "discounted": g["discount_amount"].apply(lambda s: (s > 0).sum()),
})
returned = refunds.groupby("customer_id")["total"].sum().abs()
feats["monetary"] = (feats["gross"] - returned.reindex(feats.index).fillna(0)).clip(lower=0)
feats["recencyDays"] = (as_of - feats["last"]).dt.total_seconds() / 86400
feats["tenureDays"] = (as_of - feats["first"]).dt.total_seconds() / 86400
feats["avgOrderValue"] = feats["gross"] / feats["frequency"]
feats["discountShare"] = feats["discounted"] / feats["frequency"]
cols = ["recencyDays", "frequency", "monetary", "avgOrderValue", "tenureDays", "discountShare"]
X = feats[cols].to_numpy(dtype=np.float64).copy()
for j in range(4):
    X[:, j] = np.log1p(np.maximum(X[:, j], 0))
mean, std = X.mean(axis=0), X.std(axis=0)
lo, hi = np.quantile(X, [0.005, 0.995], axis=0)
X = (np.clip(X, lo, hi) - mean) / std
t2 = time.perf_counter()

km = KMeans(n_clusters=k, n_init=4, random_state=0).fit(X)
t3 = time.perf_counter()
labels = km.predict(X)
t4 = time.perf_counter()
pd.DataFrame({"customer_id": feats.index, "segment": labels}).to_csv(out_path, index=False)
t5 = time.perf_counter()
print(json.dumps({
    "parse": t1 - t0, "features": t2 - t1, "fit": t3 - t2, "score": t4 - t3, "publish": t5 - t4,
    "total": t5 - t0, "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "inertia": float(km.inertia_), "customers": int(X.shape[0]), "rows": int(len(df)),
}))
