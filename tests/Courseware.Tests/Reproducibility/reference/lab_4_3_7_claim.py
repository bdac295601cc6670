"""Reference values for Lab 4.3.7, Exercise 5 (JudgeClaim): mean, sample std and the 95 % Student-t interval of the mean.
Run with /usr/bin/python3 (scipy); the printed values are pasted into the exercise's check cell."""
import numpy as np
from scipy import stats

for values in ([0.91, 0.94, 0.93, 0.95, 0.92], [1.0, 2.0, 4.0]):
    x = np.array(values)
    low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    print(values, "mean", repr(x.mean()), "std", repr(x.std(ddof=1)), "interval", repr(low), repr(high))
