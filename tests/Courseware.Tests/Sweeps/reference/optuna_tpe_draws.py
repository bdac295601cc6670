"""Suggestions of Optuna's multivariate TPE for a fixed history (python3-optuna 3.1.0, run with /usr/bin/python3).

Usage: optuna_tpe_draws.py HISTORY.json DRAWS SEED. HISTORY.json is a list of {"params": {...}, "value": v} over the
space below. Prints one JSON object per line: DRAWS independent suggestions for the next trial, each a fresh call of
TPESampler._sample_relative (n_startup_trials 10, n_ei_candidates 24, default gamma and weights, multivariate=True)
with the split and the two Parzen estimators built once (they depend only on the history) and the candidates of all
draws scored in one vectorised call (one draw at a time takes ~4 ms each).
Optuna 3.1.0's _truncnorm.logpdf leaves out -log(scale); it is replaced here by the formula fixed upstream
(optuna PR #5110), which TpeSearch implements.
"""
import json
import sys
import warnings

import numpy as np
import optuna
import optuna_fixed_logpdf  # beside this script
from optuna import distributions as D
from optuna.samplers import TPESampler
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator
from optuna.samplers._tpe.sampler import _get_observation_pairs, _split_observation_pairs


optuna_fixed_logpdf.install()
warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.WARNING)

SPACE = {
    "c": D.CategoricalDistribution(["a", "b", "c"]),
    "lr": D.FloatDistribution(1e-4, 1.0, log=True),
    "n": D.IntDistribution(1, 8),
    "x": D.FloatDistribution(0.0, 10.0),
}

history = json.load(open(sys.argv[1]))
draws, seed = int(sys.argv[2]), int(sys.argv[3])
sampler = TPESampler(multivariate=True, seed=seed)
study = optuna.create_study(sampler=sampler)
for t in history:
    study.add_trial(optuna.trial.create_trial(params=t["params"], distributions=SPACE, value=t["value"]))

# TPESampler._sample_relative of optuna 3.1.0 (sampler.py lines 386-430), the estimators built once.
names = list(SPACE)
values, scores, violations = _get_observation_pairs(study, names, False, False)
n = sum(s < float("inf") for s, v in scores)
below_idx, above_idx = _split_observation_pairs(scores, sampler._gamma(n), violations)
config_values = {k: np.asarray(v, dtype=float) for k, v in values.items()}
below = {k: v[below_idx] for k, v in config_values.items()}
above = {k: v[above_idx] for k, v in config_values.items()}
mpe_below = _ParzenEstimator(below, SPACE, sampler._parzen_estimator_parameters)
mpe_above = _ParzenEstimator(above, SPACE, sampler._parzen_estimator_parameters)
# All draws' candidates in one vectorised call: draws × 24 independent samples from l(x), then Optuna's _compare
# (argmax of log l − log g) within each group of 24.
m = sampler._n_ei_candidates
samples = mpe_below.sample(sampler._rng, draws * m)
score = (mpe_below.log_pdf(samples) - mpe_above.log_pdf(samples)).reshape(draws, m)
best = np.arange(draws) * m + score.argmax(axis=1)
for i in best:
    print(json.dumps({k: SPACE[k].to_external_repr(samples[k][i].item()) for k in names}))
