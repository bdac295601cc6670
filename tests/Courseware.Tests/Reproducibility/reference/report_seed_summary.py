"""Reference values for ReportTrackingTests: the seed-distribution metrics ReproducibilityReport.LogTo logs
(mean, sample std, 95 % Student-t interval of the mean). Run with /usr/bin/python3 (scipy); the printed values are
pasted into the test."""
import numpy as np
from scipy import stats

for name, values in (("val_accuracy", [0.81, 0.79, 0.84, 0.8]), ("val_loss", [0.52, 0.61, 0.47, 0.55])):
    x = np.array(values)
    low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    print(name, "mean", repr(x.mean()), "std", repr(x.std(ddof=1)), "ci95", repr(low), repr(high))
