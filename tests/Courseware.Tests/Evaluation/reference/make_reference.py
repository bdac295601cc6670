#!/usr/bin/python3
"""Reference values for tests/Courseware.Tests/Evaluation (run with Debian's /usr/bin/python3).

    /usr/bin/python3 tests/Courseware.Tests/Evaluation/reference/make_reference.py

Versions used for the pasted values: numpy 1.24.2, scipy 1.10.1, scikit-learn 1.2.1, statsmodels 0.13.5.
Every input below is written out literally and repeated in the C# tests, which paste the printed values.
"""
import numpy as np
import scipy
import scipy.stats as st
import sklearn
import statsmodels
from sklearn import metrics as skm
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests


def show(name, value):
    print(f"{name} = {float(value)!r}")


print(f"# numpy {np.__version__}, scipy {scipy.__version__}, sklearn {sklearn.__version__}, statsmodels {statsmodels.__version__}")

# ---------------------------------------------------------------- classification (multiclass, string labels)
y_true = ["cat", "dog", "bird", "cat", "cat", "dog", "bird", "bird", "cat", "dog", "dog", "cat"]
y_pred = ["cat", "dog", "cat", "cat", "dog", "dog", "bird", "cat", "cat", "bird", "dog", "cat"]
print("# classification, multiclass")
show("accuracy", skm.accuracy_score(y_true, y_pred))
for avg in ["macro", "micro", "weighted"]:
    show(f"precision_{avg}", skm.precision_score(y_true, y_pred, average=avg))
    show(f"recall_{avg}", skm.recall_score(y_true, y_pred, average=avg))
    show(f"f1_{avg}", skm.f1_score(y_true, y_pred, average=avg))
show("mcc", skm.matthews_corrcoef(y_true, y_pred))
# a class that is never predicted: zero_division=0
y_true_z = [0, 1, 2, 2, 1, 0, 2]
y_pred_z = [0, 1, 1, 1, 1, 0, 0]
show("precision_macro_zero_division", skm.precision_score(y_true_z, y_pred_z, average="macro", zero_division=0))
show("f1_macro_zero_division", skm.f1_score(y_true_z, y_pred_z, average="macro", zero_division=0))
show("mcc_zero_division", skm.matthews_corrcoef(y_true_z, y_pred_z))

# ---------------------------------------------------------------- classification (binary scores, ties included)
print("# binary AUC / ECE / binary precision")
yb = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 0]
sb = [0.9, 0.1, 0.8, 0.4, 0.4, 0.3, 0.65, 0.7, 0.55, 0.2, 0.4, 0.5]
show("auc_binary", skm.roc_auc_score(yb, sb))
pb = [1 if s >= 0.5 else 0 for s in sb]
show("precision_binary", skm.precision_score(yb, pb))
show("recall_binary", skm.recall_score(yb, pb))
show("f1_binary", skm.f1_score(yb, pb))
show("mcc_binary", skm.matthews_corrcoef(yb, pb))

# one-vs-rest macro AUC over 3 classes (rows sum to 1, as scikit-learn requires)
y3 = [0, 1, 2, 2, 1, 0, 1, 2, 0, 1]
p3 = np.array([
    [0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6], [0.3, 0.3, 0.4], [0.4, 0.4, 0.2],
    [0.5, 0.25, 0.25], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.3, 0.5, 0.2], [0.6, 0.3, 0.1]])
show("auc_ovr_macro", skm.roc_auc_score(y3, p3, multi_class="ovr", average="macro"))


def ece(labels, probs, bins):
    """Top-label ECE (Guo et al. 2017) with bins (m/M, (m+1)/M], written independently of the C# code."""
    probs = np.asarray(probs)
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == np.asarray(labels)).astype(float)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        in_bin = (conf > lo) & (conf <= hi) if lo > 0 else (conf >= lo) & (conf <= hi)
        if in_bin.any():
            total += in_bin.mean() * abs(correct[in_bin].mean() - conf[in_bin].mean())
    return total


show("ece_multiclass_10bins", ece(y3, p3, 10))
show("ece_multiclass_3bins", ece(y3, p3, 3))
pbin = np.array([[1 - s, s] for s in sb])
show("ece_binary_10bins", ece(yb, pbin, 10))
show("ece_binary_15bins", ece(yb, pbin, 15))
show("ece_binary_4bins", ece(yb, pbin, 4))

# ---------------------------------------------------------------- regression
print("# regression")
rt = [3.0, -0.5, 2.0, 7.0, 4.2, 0.0, 1.5, 9.1]
rp = [2.5, 0.0, 2.1, 7.8, 3.9, 0.3, 1.1, 8.0]
show("mae", skm.mean_absolute_error(rt, rp))
show("mse", skm.mean_squared_error(rt, rp))
show("rmse", np.sqrt(skm.mean_squared_error(rt, rp)))
show("mape", skm.mean_absolute_percentage_error(rt, rp))  # includes a true 0 -> eps guard
rt_nz = [3.0, -0.5, 2.0, 7.0, 4.2, 1.5, 9.1]
rp_nz = [2.5, 0.0, 2.1, 7.8, 3.9, 1.1, 8.0]
show("mape_nonzero", skm.mean_absolute_percentage_error(rt_nz, rp_nz))
show("r2", skm.r2_score(rt, rp))

# ---------------------------------------------------------------- ranking (ndcg via sklearn on the union of items)
print("# ranking")
ranked = ["d3", "d1", "d7", "d2", "d9", "d4"]
relevance = {"d1": 3, "d2": 2, "d4": 3, "d5": 1, "d7": 0}
items = sorted(set(ranked) | set(relevance))
# retrieved items get descending scores by rank; unretrieved ones score below all of them
score = {d: len(ranked) - i for i, d in enumerate(ranked)}
y_true_r = np.array([[relevance.get(d, 0) for d in items]], dtype=float)
y_score_r = np.array([[score.get(d, -1 - j * 1e-3) for j, d in enumerate(items)]], dtype=float)
for k in [1, 3, 5, 6]:
    show(f"ndcg_at_{k}", skm.ndcg_score(y_true_r, y_score_r, k=k))

# ---------------------------------------------------------------- significance tests
print("# McNemar (statsmodels)")
for b, c in [(3, 9), (0, 5), (12, 30), (25, 25)]:
    ex = mcnemar([[10, b], [c, 10]], exact=True)
    ch = mcnemar([[10, b], [c, 10]], exact=False, correction=True)
    show(f"mcnemar_exact_{b}_{c}_stat", ex.statistic); show(f"mcnemar_exact_{b}_{c}_p", ex.pvalue)
    show(f"mcnemar_chi2_{b}_{c}_stat", ch.statistic); show(f"mcnemar_chi2_{b}_{c}_p", ch.pvalue)

print("# paired t-test, Wilcoxon, Cohen's d")
xa = [0.61, 0.72, 0.55, 0.80, 0.67, 0.59, 0.74, 0.70, 0.63, 0.77, 0.58, 0.69]
xb = [0.58, 0.70, 0.56, 0.71, 0.60, 0.53, 0.725, 0.62, 0.605, 0.72, 0.615, 0.65]
t = st.ttest_rel(xa, xb)
show("ttest_t", t.statistic); show("ttest_p", t.pvalue)
w = st.wilcoxon(xa, xb)  # 12 pairs, no zero, no tied |d|: exact
show("wilcoxon_exact_stat", w.statistic); show("wilcoxon_exact_p", w.pvalue)
# zeros and ties force the normal approximation
ya = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0]
yb2 = [1.5, 2.0, 2.0, 3.0, 5.5, 5.0, 8.0, 6.0, 9.0, 9.0, 10.0, 10.5, 12.0, 15.0]
w2 = st.wilcoxon(ya, yb2)
show("wilcoxon_approx_stat", w2.statistic); show("wilcoxon_approx_p", w2.pvalue)
d = np.array(xa) - np.array(xb)
show("cohens_d_paired", d.mean() / d.std(ddof=1))
ga = [5.1, 4.8, 6.0, 5.5, 5.9, 4.7, 5.3]
gb = [4.2, 4.9, 4.4, 5.0, 3.8, 4.6, 4.1, 4.5, 4.0]
pooled = np.sqrt(((len(ga) - 1) * np.var(ga, ddof=1) + (len(gb) - 1) * np.var(gb, ddof=1)) / (len(ga) + len(gb) - 2))
show("cohens_d_independent", (np.mean(ga) - np.mean(gb)) / pooled)

print("# multiple testing (statsmodels multipletests)")
pv = [0.01, 0.04, 0.03, 0.005, 0.2, 0.049, 0.5, 0.001]
for method in ["fdr_bh", "bonferroni"]:
    rej, adj, _, _ = multipletests(pv, alpha=0.05, method=method)
    print(f"{method}_adjusted = {[float(x) for x in adj]!r}")
    print(f"{method}_reject = {[bool(x) for x in rej]!r}")

# p-values exactly on the boundary alpha*k/m (issue #16): all rejected
for pv_edge in ([0.05, 0.05, 0.05], [0.001, 0.002, 0.05]):
    rej, adj, _, _ = multipletests(pv_edge, alpha=0.05, method="fdr_bh")
    print(f"fdr_bh_edge {pv_edge} reject = {[bool(x) for x in rej]!r} adjusted = {[float(x) for x in adj]!r}")

print("# seeds: mean, std, 95 % t-interval")
seeds = [0.812, 0.795, 0.830, 0.801, 0.822, 0.809, 0.817]
m, s = np.mean(seeds), np.std(seeds, ddof=1)
lo, hi = st.t.interval(0.95, len(seeds) - 1, loc=m, scale=s / np.sqrt(len(seeds)))
show("seed_mean", m); show("seed_std", s); show("seed_low", lo); show("seed_high", hi)

print("# agreement")
ra = ["A", "B", "tie", "A", "A", "B", "B", "tie", "A", "B", "A", "A"]
rb = ["A", "B", "A", "A", "B", "B", "tie", "tie", "A", "B", "A", "B"]
show("kappa", skm.cohen_kappa_score(ra, rb))
show("raw_agreement", np.mean(np.array(ra) == np.array(rb)))
