"""Reference Gaussian-process fit and expected improvement for BayesSearch / GaussianProcess.

Exactly W&B's model (wandb/sweeps b1dfc5f, src/sweeps/bayes_search.py, fit_normalized_gaussian_process and
next_sample): sklearn GaussianProcessRegressor(kernel=Matern(nu=1.5), n_restarts_optimizer=2, alpha=1e-7,
random_state=2) on y standardised by mean and np.std + 1e-6. Run with /usr/bin/python3 (scikit-learn 1.2.1).
"""
import numpy as np
from scipy import stats
from sklearn import gaussian_process as gpm

X = np.array([[0.1, 0.2], [0.4, 0.9], [0.8, 0.3], [0.5, 0.5], [0.95, 0.85], [0.2, 0.7]])
y = np.array([1.3, 0.2, 0.9, 0.4, 1.1, 0.6])
test = np.array([[0.3, 0.3], [0.6, 0.8], [0.0, 1.0]])

y_mean, y_std = np.mean(y), np.std(y) + 1e-6
gp = gpm.GaussianProcessRegressor(kernel=gpm.kernels.Matern(nu=1.5), n_restarts_optimizer=2, alpha=1e-7, random_state=2)
gp.fit(X, (y - y_mean) / y_std)
mean, cov = gp.predict(test, return_cov=True)
std = np.sqrt(np.diag(cov))
best = (np.min(y) - y_mean) / y_std
z = -(mean - best) / (std + 1e-6)
ei = -(mean - best) * stats.norm.cdf(z) + std * stats.norm.pdf(z)
print("length_scale", repr(float(gp.kernel_.length_scale)))
print("log_marginal_likelihood", repr(float(gp.log_marginal_likelihood_value_)))
print("mean", [repr(float(v)) for v in mean])
print("std", [repr(float(v)) for v in std])
print("ei", [repr(float(v)) for v in ei])

# Three points high, low, high: the likelihood is flat below ~0.01 and L-BFGS-B ends on the lower bound 1e-05.
X3, y3 = np.array([[0.1], [0.5], [0.9]]), np.array([1.0, 0.2, 0.8])
gp3 = gpm.GaussianProcessRegressor(kernel=gpm.kernels.Matern(nu=1.5), n_restarts_optimizer=2, alpha=1e-7, random_state=2)
gp3.fit(X3, (y3 - y3.mean()) / (np.std(y3) + 1e-6))
print("zigzag length_scale", repr(float(gp3.kernel_.length_scale)))
