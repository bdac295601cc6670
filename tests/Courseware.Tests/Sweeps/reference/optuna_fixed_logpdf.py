"""Optuna 3.1.0's truncated-normal log density with the fix of optuna PR #5110 (the −log(scale) term 3.1.0 leaves
out), which TpeSearch implements. `install()` replaces optuna.samplers._tpe._truncnorm.logpdf with it; the Parzen
estimator looks it up through that module at each call."""
import numpy as np
from optuna.samplers._tpe import _truncnorm


def fixed_logpdf(x, a, b, loc=0, scale=1):
    z = (x - loc) / scale
    z, a, b = np.atleast_1d(z, a, b)
    z, a, b = np.broadcast_arrays(z, a, b)
    out = _truncnorm._norm_logpdf(z) - _truncnorm._log_gauss_mass(a, b) - np.log(scale)
    out[(z < a) | (b < z)] = -np.inf
    out[a == b] = np.nan
    return out


def install():
    _truncnorm.logpdf = fixed_logpdf
