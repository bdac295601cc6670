# Reference for PromotionGateTests: McNemar's exact test on the crafted scores
# (12 items only the challenger gets right, 2 only the champion, 26 both).
# Run with /usr/bin/python3 (scipy, statsmodels).
from scipy.stats import binomtest
from statsmodels.stats.contingency_tables import mcnemar

b, c = 12, 2
print("scipy binomtest p =", binomtest(c, b + c, 0.5).pvalue)           # 0.012939453125
print("statsmodels mcnemar exact p =", mcnemar([[26, b], [c, 0]], exact=True).pvalue)
