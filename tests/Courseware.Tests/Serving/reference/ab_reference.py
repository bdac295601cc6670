#!/usr/bin/python3
"""Reference values for the A/B tests of serving (tests/Courseware.Tests/Serving/AbTestTests.cs).

    /usr/bin/python3 tests/Courseware.Tests/Serving/reference/ab_reference.py

Group A is the champion, B the challenger; every difference is B − A. The printed values are pasted into the tests.
"""
import numpy as np
import scipy
import scipy.stats as st
import statsmodels
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

print(f"# numpy {np.__version__}, scipy {scipy.__version__}, statsmodels {statsmodels.__version__}")


def proportions(name, sa, na, sb, nb, alpha=0.05):
    z, p = proportions_ztest([sb, sa], [nb, na])  # pooled variance, two-sided, H0: pB - pA = 0
    low, high = confint_proportions_2indep(sb, nb, sa, na, method="wald", compare="diff", alpha=alpha)
    print(f"{name}: z = {z!r}, p = {p!r}, ci = ({low!r}, {high!r})")


# 1. counts: 120/1000 vs 150/1000 (a typical click-through A/B)
proportions("clicks", 120, 1000, 150, 1000)
# 2. the end-to-end serving test: 24 of 60 champion answers succeed, 36 of 60 challenger answers
proportions("serving", 24, 60, 36, 60)
# 3. a small, non-significant one at alpha = 0.1
proportions("small", 7, 20, 9, 22, alpha=0.1)

# Welch's t-test on numeric outcomes (e.g. revenue per request)
a = [1.2, 0.0, 3.4, 2.2, 0.0, 1.8, 2.9, 0.4, 1.1, 2.5]
b = [2.1, 3.3, 0.0, 4.2, 2.8, 3.9, 1.7, 2.6]
t, p = st.ttest_ind(b, a, equal_var=False)
va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
half = st.t.ppf(0.975, df) * np.sqrt(va + vb)
diff = np.mean(b) - np.mean(a)
print(f"welch: t = {t!r}, p = {p!r}, df = {df!r}, ci = ({diff - half!r}, {diff + half!r})")

# The traffic-split tolerance: 4000 unkeyed requests at share 0.1 -> challenger count within the central 99.99 %
# of Binomial(4000, 0.1); a router that ignores the share (or sends 0.2) falls far outside it.
lo, hi = st.binom.ppf(0.00005, 4000, 0.1), st.binom.ppf(0.99995, 4000, 0.1)
print(f"binomial 99.99% range for n=4000, p=0.1: [{lo!r}, {hi!r}]")
lo, hi = st.binom.ppf(0.00005, 2000, 0.3), st.binom.ppf(0.99995, 2000, 0.3)
print(f"binomial 99.99% range for n=2000, p=0.3: [{lo!r}, {hi!r}]")
