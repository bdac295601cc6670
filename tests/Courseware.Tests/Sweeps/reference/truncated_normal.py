"""Reference log densities and log masses for TruncatedNormal (scipy 1.10.1, run with /usr/bin/python3).

log(Φ(b) − Φ(a)) is computed from scipy.special.log_ndtr so the far tails do not underflow.
"""
import numpy as np
from scipy import special, stats

for x, mu, sigma, low, high in [(0.3, 0.5, 0.2, 0.0, 1.0), (2.0, -1.0, 0.5, -3.0, 4.0), (0.99, 0.1, 0.05, 0.0, 1.0)]:
    a, b = (low - mu) / sigma, (high - mu) / sigma
    print(f"[InlineData({x}, {mu}, {sigma}, {low}, {high}, {float(stats.truncnorm.logpdf(x, a, b, loc=mu, scale=sigma))!r})]")


def log_mass(a, b):
    if a >= 0:
        a, b = -b, -a
    la, lb = special.log_ndtr(a), special.log_ndtr(b)
    return lb + np.log1p(-np.exp(la - lb))


for a, b in [(-1.0, 2.0), (3.0, 5.0), (-40.0, -38.0), (25.0, 26.0)]:
    print(f"[InlineData({a}, {b}, {float(log_mass(a, b))!r})]")
