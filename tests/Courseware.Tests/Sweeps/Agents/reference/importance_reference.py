# Reference value for DashboardTests.Pearson_matches_numpy. Run with /usr/bin/python3.
import numpy as np
print(repr(np.corrcoef([1, 2, 3, 4, 5], [2.1, 3.9, 6.2, 7.8, 10.1])[0, 1]))
