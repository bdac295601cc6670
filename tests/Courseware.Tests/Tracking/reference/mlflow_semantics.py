"""Reference values for Courseware.Tracking tests, computed with Python's own posixpath and re modules —
the same calls MLflow's mlflow/utils/validation.py makes (path_not_unique, _VALID_PARAM_AND_METRIC_NAMES with colon).
Run: /usr/bin/python3 mlflow_semantics.py"""
import math
import posixpath
import re

VALID = re.compile(r"^[/\w.\- :]*$")

def path_not_unique(name):
    norm = posixpath.normpath(name)
    return norm != name or norm == "." or norm.startswith("..") or norm.startswith("/")

keys = ["acc", "val/acc", "a..b", "a b", "time:ms", "été", "", "a//b", "a/", "./a", "a/../b", "/a", "..", "../a",
        "a/./b", "a$b", "a\\b", "//a", "x" * 250, "x" * 251]
print("# key -> normpath, valid")
for k in keys:
    valid = len(k) <= 250 and bool(VALID.match(k)) and not path_not_unique(k)
    shown = k if len(k) < 20 else f"x*{len(k)}"
    print(f"{shown!r}: normpath={posixpath.normpath(k) if len(k) < 20 else shown!r} valid={valid}")

# MLflow's latest value: max over (step, timestamp, value).
points = [(0, 100, 0.5), (2, 50, 0.1), (2, 50, 0.3), (1, 999, 0.9), (2, 40, 5.0)]
print("latest", max(points))
