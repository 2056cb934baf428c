"""Fit the same OLS as the TS test with statsmodels and print R², params, t, p, AIC as JSON (stdin: JSON {y, X})."""
import json
import sys

import numpy as np
import statsmodels.api as sm

data = json.load(sys.stdin)
y = np.asarray(data["y"], dtype=np.float64)
X = sm.add_constant(np.asarray(data["X"], dtype=np.float64).T)
fit = sm.OLS(y, X).fit()
print(json.dumps({"rsquared": fit.rsquared, "params": fit.params.tolist(), "tvalues": fit.tvalues.tolist()[1:], "pvalues": fit.pvalues.tolist()[1:], "aic": fit.aic}))
