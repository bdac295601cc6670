"""The Optuna side of bench/sweeps-quality (python3-optuna 3.1.0 as Debian ships it, run with /usr/bin/python3).

Usage: optuna_runner.py SEEDS TRIALS > optuna.jsonl. For each test function, each sampler (TPESampler with its
defaults, and with multivariate=True) and seeds 1..SEEDS: one study of TRIALS trials. Prints one JSON object per
study: function, sampler, seed, each trial's params and value, and the mean milliseconds per trial (the functions take
microseconds; univariate TPE samples inside the objective's suggest calls, so nothing is subtracted). The functions are Courseware.Sweeps.TestFunction's; the C# side re-evaluates every trial's params and stops
when a value differs, so the two definitions cannot drift apart.
"""
import json
import math
import os
import pathlib
import sys
import time
import warnings

import optuna

warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.WARNING)


def branin(t):
    x, y = t.suggest_float("x", -5, 10), t.suggest_float("y", 0, 15)
    b, c, tt = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - tt) * math.cos(x) + 10


ALPHA = [1.0, 1.2, 3.0, 3.2]
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886], [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
     [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650], [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]


def hartmann6(t):
    x = [t.suggest_float(f"x{i}", 0, 1) for i in range(1, 7)]
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j]) ** 2 for j in range(6))) for i in range(4))


def rosenbrock4(t):
    x = [t.suggest_float(f"x{i}", -5, 10) for i in range(1, 5)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (x[i] - 1) ** 2 for i in range(3))


def mixed_training(t):
    lr = t.suggest_float("lr", 1e-5, 1, log=True)
    layers = t.suggest_int("layers", 1, 8)
    opt = t.suggest_categorical("optimizer", ["sgd", "momentum", "adam"])
    log_lr = math.log10(lr)
    floor, width, best_lr, best_layers = {
        "sgd": (0.25, 0.15, -1.0, 2.0),
        "momentum": (0.15, 0.4, -2.0, 4.0),
        "adam": (0.0, 1.0, -3.5 + 0.15 * (layers - 6), 6.0),
    }[opt]
    return floor + width * (log_lr - best_lr) ** 2 + 0.02 * (layers - best_layers) ** 2


ACTIVATIONS, NORMS = ["relu", "gelu", "tanh", "sigmoid"], ["batch", "layer", "none"]
OFFSETS = [[0.05, 0.12, 0.25], [0.10, 0.00, 0.30], [0.20, 0.18, 0.35], [0.40, 0.38, 0.50]]


def mixed_convnet(t):
    act = t.suggest_categorical("activation", ACTIVATIONS)
    norm = t.suggest_categorical("norm", NORMS)
    k = t.suggest_int("batch_log2", 4, 9)
    wd = t.suggest_float("weight_decay", 1e-6, 0.1, log=True)
    dropout = t.suggest_float("dropout", 0, 0.6)
    u, v = (math.log10(wd) + 6) / 5, dropout / 0.6
    valley = 0.5 * ((u - 0.6) ** 2 + 4 * (v - u * u) ** 2)
    return OFFSETS[ACTIVATIONS.index(act)][NORMS.index(norm)] + valley + 0.02 * (k - 6) ** 2


FUNCTIONS = {"branin": branin, "hartmann6": hartmann6, "rosenbrock4": rosenbrock4,
             "mixed-training": mixed_training, "mixed-convnet": mixed_convnet}
SAMPLERS = {"optuna-tpe": {}, "optuna-tpe-mv": {"multivariate": True}}
if os.environ.get("OPTUNA_FIXED_LOGPDF") == "1":
    # Optuna 3.1.0's _truncnorm.logpdf leaves out -log(scale) (fixed upstream in optuna PR #5110); our tpe
    # implements the fixed formula, so this run isolates the effect of the fix.
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tests/Courseware.Tests/Sweeps/reference"))
    import optuna_fixed_logpdf

    optuna_fixed_logpdf.install()
    SAMPLERS = {"optuna-tpe-fixed": {}, "optuna-tpe-mv-fixed": {"multivariate": True}}

seeds, trials = int(sys.argv[1]), int(sys.argv[2])
only = sys.argv[3].split(",") if len(sys.argv) > 3 else list(FUNCTIONS)
for name in only:
    for sampler_name, options in SAMPLERS.items():
        for seed in range(1, seeds + 1):
            study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed, **options))
            start = time.perf_counter()
            study.optimize(FUNCTIONS[name], n_trials=trials)
            elapsed = time.perf_counter() - start  # the functions themselves take microseconds
            print(json.dumps({"function": name, "sampler": sampler_name, "seed": seed,
                              "params": [t.params for t in study.trials], "values": [t.value for t in study.trials],
                              "ms_per_trial": 1000 * elapsed / trials}), flush=True)
