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

# ---------------------------------------------------------------- issue #16: new statistics
print("# Holm (statsmodels multipletests method='holm')")
for pv_h in (pv, [0.05, 0.05, 0.05], [0.001, 0.002, 0.05]):
    rej, adj, _, _ = multipletests(pv_h, alpha=0.05, method="holm")
    print(f"holm {pv_h} reject = {[bool(x) for x in rej]!r} adjusted = {[float(x) for x in adj]!r}")

print("# McNemar chi-square without continuity correction")
for b, c in [(3, 9), (12, 30), (25, 25)]:
    r = mcnemar([[10, b], [c, 10]], exact=False, correction=False)
    show(f"mcnemar_uncorrected_{b}_{c}_stat", r.statistic); show(f"mcnemar_uncorrected_{b}_{c}_p", r.pvalue)

print("# binomial intervals (statsmodels proportion_confint)")
from statsmodels.stats.proportion import proportion_confint
for k, n, a in [(7, 20, 0.05), (0, 12, 0.05), (12, 12, 0.05), (45, 50, 0.1), (1, 1, 0.05)]:
    for method in ["wilson", "beta"]:
        lo, hi = proportion_confint(k, n, alpha=a, method=method)
        print(f"{method} k={k} n={n} alpha={a}: {float(lo)!r} {float(hi)!r}")

print("# weighted Cohen's kappa (sklearn cohen_kappa_score weights=)")
r1 = [1, 2, 3, 3, 2, 1, 4, 1, 2, 5, 3, 4, 4, 2, 1]
r2 = [1, 2, 3, 4, 2, 2, 4, 1, 3, 5, 3, 3, 4, 1, 1]
for wts in [None, "linear", "quadratic"]:
    show(f"kappa_{wts}", skm.cohen_kappa_score(r1, r2, weights=wts))
show("kappa_linear_labels_1to6", skm.cohen_kappa_score(r1, r2, weights="linear", labels=[1, 2, 3, 4, 5, 6]))
show("kappa_linear_strings", skm.cohen_kappa_score(ra, rb, weights="linear"))

print("# Fleiss' kappa (statsmodels fleiss_kappa over aggregate_raters)")
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
fl = [["a", "a", "b"], ["b", "b", "b"], ["a", "c", "c"], ["c", "c", "c"], ["a", "a", "a"], ["b", "a", "b"], ["c", "b", "a"], ["a", "a", "b"]]
codes = {"a": 0, "b": 1, "c": 2}
table, _ = aggregate_raters(np.array([[codes[x] for x in row] for row in fl]))
show("fleiss_kappa", fleiss_kappa(table, method="fleiss"))

print("# confusion matrix with an explicit label order (sklearn confusion_matrix labels=)")
print("confusion_default =", skm.confusion_matrix(y_true, y_pred).tolist())
print("confusion_labels_dog_cat_fish =", skm.confusion_matrix(y_true, y_pred, labels=["dog", "cat", "fish"]).tolist())

print("# zero_division (sklearn 1.2 takes 0 or 1; NaN is sklearn >= 1.3, derived by hand in the test)")
for zd in [0, 1]:
    for avg in ["macro", "weighted"]:
        show(f"precision_{avg}_zd{zd}", skm.precision_score(y_true_z, y_pred_z, average=avg, zero_division=zd))
        show(f"recall_{avg}_zd{zd}", skm.recall_score(y_true_z, y_pred_z, average=avg, zero_division=zd))
        show(f"f1_{avg}_zd{zd}", skm.f1_score(y_true_z, y_pred_z, average=avg, zero_division=zd))
    show(f"precision_class2_zd{zd}", skm.precision_score(y_true_z, y_pred_z, labels=[2], average="macro", zero_division=zd))
# a class only predicted, never true: its recall is 0/0
y_true_r0 = [0, 0, 1, 1]
y_pred_r0 = [0, 2, 1, 1]
for zd in [0, 1]:
    show(f"recall_macro_pred_only_zd{zd}", skm.recall_score(y_true_r0, y_pred_r0, average="macro", zero_division=zd))
    show(f"f1_macro_pred_only_zd{zd}", skm.f1_score(y_true_r0, y_pred_r0, average="macro", zero_division=zd))

print("# Krippendorff's alpha, written from the coincidence-matrix definition (Krippendorff 2011), data C of the paper")
def kripp(data, level):
    data = np.array(data, dtype=float)
    values = np.unique(data[~np.isnan(data)])
    o = np.zeros((len(values), len(values)))
    for u in data.T:
        u = u[~np.isnan(u)]
        if len(u) < 2:
            continue
        for i in range(len(u)):
            for j in range(len(u)):
                if i != j:
                    o[np.searchsorted(values, u[i]), np.searchsorted(values, u[j])] += 1 / (len(u) - 1)
    nc = o.sum(axis=1); n = nc.sum()
    def d2(ci, ki):
        c, k = values[ci], values[ki]
        if level == "nominal": return float(c != k)
        if level == "interval": return (c - k) ** 2
        if level == "ratio": return ((c - k) / (c + k)) ** 2
        lo, hi = min(ci, ki), max(ci, ki)
        return (nc[lo:hi + 1].sum() - (nc[ci] + nc[ki]) / 2) ** 2
    V = range(len(values))
    do = sum(o[c, k] * d2(c, k) for c in V for k in V)
    de = sum(nc[c] * nc[k] * d2(c, k) for c in V for k in V) / (n - 1)
    return 1 - do / de
nan = float("nan")
kd = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
      [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
      [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
      [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
for level in ["nominal", "ordinal", "interval", "ratio"]:
    show(f"krippendorff_{level}", kripp(kd, level))

print("# degenerate inputs: what the references return")
import warnings
warnings.simplefilter("ignore")
r = mcnemar([[5, 0], [0, 5]], exact=True); print("mcnemar_exact_b0_c0", float(r.statistic), float(r.pvalue))
r = mcnemar([[5, 0], [0, 5]], exact=False, correction=True); print("mcnemar_chi2_b0_c0", float(r.statistic), float(r.pvalue))
r = mcnemar([[5, 0], [0, 5]], exact=False, correction=False); print("mcnemar_uncorrected_b0_c0", float(r.statistic), float(r.pvalue))
r = st.ttest_ind([0.5, 0.5, 0.5], [0.7, 0.7, 0.7], equal_var=False); print("welch_constant_groups", float(r.statistic), float(r.pvalue))
r = st.ttest_ind([0.5, 0.5, 0.5], [0.5, 0.5, 0.5], equal_var=False); print("welch_equal_constant_groups", float(r.statistic), float(r.pvalue))
r = st.ttest_rel([1.0, 2.0, 3.0], [0.5, 1.5, 2.5]); print("ttest_rel_constant_difference", float(r.statistic), float(r.pvalue))
r = st.ttest_rel([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]); print("ttest_rel_zero_difference", float(r.statistic), float(r.pvalue))
try:
    st.bootstrap(([0.7],), np.mean, method="percentile", random_state=0)
except ValueError as e:
    print("bootstrap_n1 raises", e)
r = st.bootstrap(([0.5, 0.5, 0.5],), np.mean, method="BCa", random_state=0); print("bootstrap_bca_constant", r.confidence_interval)

print("# BCa bootstrap (scipy 1.10.1's _bca_interval) on the resamples Stats.PairedBootstrap draws")
from scipy.stats._resampling import _bca_interval
M64 = (1 << 64) - 1


class Xoshiro256:
    """Courseware.Evaluation.Xoshiro256 (xoshiro256** seeded by SplitMix64 from (seed, stream)), transcribed."""

    def __init__(self, seed, stream):
        x = [((seed & 0xFFFFFFFF) << 32) ^ (stream & 0xFFFFFFFF)]

        def splitmix():
            x[0] = (x[0] + 0x9E3779B97F4A7C15) & M64
            z = x[0]
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            return z ^ (z >> 31)
        self.s = [splitmix() for _ in range(4)]

    def next_u64(self):
        s = self.s
        rotl = lambda v, k: ((v << k) | (v >> (64 - k))) & M64
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def next(self, bound):  # Lemire's nearly divisionless method on the high 32 bits
        m = (self.next_u64() >> 32) * bound
        if (m & 0xFFFFFFFF) < bound:
            threshold = ((1 << 32) - bound) % bound
            while (m & 0xFFFFFFFF) < threshold:
                m = (self.next_u64() >> 32) * bound
        return m >> 32


def resample_mean(d, seed, r):  # the same draws and summation order as Stats.ResampleMean
    rng = Xoshiro256(seed, r)
    n, even, odd, i = len(d), 0.0, 0.0, 0
    while i + 1 < n:
        even += d[rng.next(n)]; odd += d[rng.next(n)]; i += 2
    if i < n:
        even += d[rng.next(n)]
    return (even + odd) / n


def paired_bca(a, b, resamples, confidence, seed):
    a, b = np.array(a), np.array(b)
    d = a - b
    theta_b = np.array([resample_mean(d, seed, r) for r in range(resamples)])
    observed = np.mean(a) - np.mean(b)
    assert np.min(np.abs(theta_b - observed)) > 1e-9, "a resample ties with the observed value; pick another seed"
    statistic = lambda i, axis=-1: np.mean(a[..., i], axis=axis) - np.mean(b[..., i], axis=axis)  # scipy's paired wrapper
    alpha = (1 - confidence) / 2
    a1, a2, a_hat = _bca_interval((np.arange(len(d)),), statistic, -1, alpha, theta_b[None, :], None)
    pct = np.percentile(theta_b, [np.ravel(a1)[0] * 100, np.ravel(a2)[0] * 100])
    perc = np.percentile(theta_b, [alpha * 100, (1 - alpha) * 100])
    return float(np.ravel(a_hat)[0]), float(pct[0]), float(pct[1]), float(perc[0]), float(perc[1])


# 12 skewed paired scores (gamma draws, rounded to 5 decimals) so that no resample ties with the observed mean
ga12 = [0.427, 0.83758, 1.18753, 0.67174, 0.34104, 0.564, 0.49437, 0.67953, 0.61611, 0.31774, 0.33574, 0.51069]
gb12 = [0.5422, 0.7371, 0.69962, 0.84489, 0.57382, 0.63044, 0.91694, 0.61295, 0.54553, 0.76986, 0.6597, 0.8384]
for seed, resamples, conf in [(0, 2000, 0.95), (7, 999, 0.9)]:
    print(f"bca seed={seed} resamples={resamples} confidence={conf}: acceleration, low, high, percentile low, high =",
          paired_bca(ga12, gb12, resamples, conf, seed))
