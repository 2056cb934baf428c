"""The reference's reading regressions (evaluation_pipeline/reading/run.py, statsmodels formulas), run on the
CSV and OUR predictions.json; prints the scores and correlations as JSON. Usage: reading_scores.py CSV PREDICTIONS"""
import json
import sys

import pandas as pd
import statsmodels.formula.api as smf

csv_path, preds_path = sys.argv[1], sys.argv[2]
df = pd.read_csv(csv_path, dtype={"item": str})
df["item"] = df["item"].fillna("None")
with open(preds_path) as f:
    preds = json.load(f)["reading"]["predictions"]
df["pred"] = [p["pred"] for p in preds]
df["prev_pred"] = [p["prev_pred"] for p in preds]
variables = ["RTfirstfix", "RTfirstpass", "RTgopast", "RTrightbound", "self_paced_reading_time", "ELAN", "LAN", "N400", "P600", "EPNP", "PNP"]
corr = df[["pred"] + variables].corr()["pred"]
base_terms = "Subtlex_log10 + length + context_length + Subtlex_log10:length + Subtlex_log10:context_length + length:context_length"
et, power = [], []
for dv in variables:
    b = smf.ols(dv + " ~ " + base_terms, data=df[[dv, "Subtlex_log10", "length", "context_length"]].dropna()).fit()
    m = smf.ols(dv + " ~ " + base_terms + " + pred", data=df[["pred", dv, "Subtlex_log10", "length", "context_length"]].dropna()).fit()
    power.append({"R2": m.rsquared, "coef": m.params["pred"], "t": m.tvalues["pred"], "p": m.pvalues["pred"], "aic": m.aic, "base_aic": b.aic})
    if "RT" in dv:
        et.append((m.rsquared - b.rsquared) / (1 - b.rsquared) * 100)
spill = ("Subtlex_log10 + length + context_length + prev_length + prev_pred + Subtlex_log10:length + Subtlex_log10:context_length"
         " + Subtlex_log10:prev_length + Subtlex_log10:prev_pred + length:context_length + length:prev_length + length:prev_pred"
         " + context_length:prev_length + context_length:prev_pred + prev_length:prev_pred")
cols = ["Subtlex_log10", "length", "context_length", "prev_length", "prev_pred"]
dv = "self_paced_reading_time"
b = smf.ols(dv + " ~ " + spill, data=df[[dv] + cols].dropna()).fit()
m = smf.ols(dv + " ~ " + spill + " + pred", data=df[["pred", dv] + cols].dropna()).fit()
spr = (m.rsquared - b.rsquared) / (1 - b.rsquared) * 100
print(json.dumps({"et": sum(et) / len(et), "et_measures": et, "spr": spr, "spr_nobs": int(m.nobs), "power": power,
                  "correlations": {v: corr[v] for v in variables}}))
