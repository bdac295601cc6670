"""Reference quantiles and CDF values for Courseware.Sweeps.Parameter.

Mirrors the scipy calls of W&B's sweeps engine (wandb/sweeps b1dfc5f, src/sweeps/params.py, HyperParameter.ppf/cdf)
for the continuous distributions. Run with /usr/bin/python3 (scipy 1.10.1); paste the output into DistributionTests.cs.
"""
import numpy as np
import scipy.stats as stats

us = [0.05, 0.3, 0.5, 0.7, 0.95]
cases = {
    "uniform(-2, 3)": lambda u: stats.uniform.ppf(u, -2, 5),
    "log_uniform_values(1e-5, 0.1)": lambda u: np.exp(stats.uniform.ppf(u, np.log(1e-5), np.log(0.1) - np.log(1e-5))),
    "inv_log_uniform_values(0.01, 10)": lambda u: np.exp(-stats.uniform.ppf(1 - u, -np.log(10), -np.log(0.01) + np.log(10))),
    "log_uniform(-9.2, -2.3)": lambda u: np.exp(stats.uniform.ppf(u, -9.2, -2.3 + 9.2)),
    "inv_log_uniform(0, 4)": lambda u: np.exp(-stats.uniform.ppf(1 - u, 0, 4)),
    "normal(1.5, 0.3)": lambda u: stats.norm.ppf(u, loc=1.5, scale=0.3),
    "log_normal(-1, 0.5)": lambda u: stats.lognorm.ppf(u, s=0.5, scale=np.exp(-1)),
    "beta(2, 5)": lambda u: stats.beta.ppf(u, a=2, b=5),
    "q_uniform(0, 10, 0.5)": lambda u: np.round(stats.uniform.ppf(u, 0, 10) / 0.5) * 0.5,
    "q_log_uniform_values(1, 1000, 5)": lambda u: np.round(np.exp(stats.uniform.ppf(u, np.log(1), np.log(1000) - np.log(1))) / 5) * 5,
    "q_normal(10, 3, 2)": lambda u: np.round(stats.norm.ppf(u, loc=10, scale=3) / 2) * 2,
    "q_log_normal(2, 0.5, 1)": lambda u: np.round(stats.lognorm.ppf(u, s=0.5, scale=np.exp(2)) / 1) * 1,
    "q_beta(2, 2, 0.1)": lambda u: np.round(stats.beta.ppf(u, a=2, b=2) / 0.1) * 0.1,
}
for name, ppf in cases.items():
    print(f'["{name}"] = [{", ".join(repr(float(ppf(u))) for u in us)}],')

print("// CDF at x")
cdfs = {
    "normal(1.5, 0.3) at 1.2": stats.norm.cdf(1.2, loc=1.5, scale=0.3),
    "log_normal(-1, 0.5) at 0.5": stats.lognorm.cdf(0.5, s=0.5, scale=np.exp(-1)),
    "beta(2, 5) at 0.3": stats.beta.cdf(0.3, a=2, b=5),
    "log_uniform_values(1e-5, 0.1) at 1e-3": stats.uniform.cdf(np.log(1e-3), np.log(1e-5), np.log(0.1) - np.log(1e-5)),
    "int_uniform(1, 4) at 2": stats.randint.cdf(2, 1, 5),
    "categorical(3 values) at index 1": stats.randint.cdf(1, 0, 3),
}
for name, value in cdfs.items():
    print(f'["{name}"] = {float(value)!r},')
