"""Reference values for Courseware.Tests.Benchmarks, computed with lm-evaluation-harness's own formulas
(copied from EleutherAI/lm-evaluation-harness: lm_eval/tasks/hellaswag/utils.py preprocess,
lm_eval/api/metrics.py mean_stderr/pooled_sample_stderr, lm_eval/decontamination/janitor.py normalisation,
lm_eval/tasks/truthfulqa/utils.py process_results_mc2). Run: /usr/bin/python3 harness_reference.py"""
import math
import re
import string

import numpy as np


def preprocess(text):  # lm_eval/tasks/hellaswag/utils.py
    text = text.strip()
    text = text.replace(" [title]", ". ")
    text = re.sub("\\[.*?\\]", "", text)
    text = text.replace("  ", " ")
    return text


def hellaswag_query(doc):
    ctx = doc["ctx_a"] + " " + doc["ctx_b"].capitalize()
    return preprocess(doc["activity_label"] + ": " + ctx)


def sample_stddev(arr):  # lm_eval/api/metrics.py
    mu = sum(arr) / len(arr)
    return math.sqrt(sum([(x - mu) ** 2 for x in arr]) / (len(arr) - 1))


def mean_stderr(arr):
    return sample_stddev(arr) / math.sqrt(len(arr))


def pooled_sample_stderr(stderrs, sizes):
    pooled_sample_var = (sum([(size - 1) * stderr**2 * size for size, stderr in zip(sizes, stderrs)])) / (sum(sizes) - len(sizes))
    return np.sqrt(pooled_sample_var / sum(sizes))


def mc2(labels, lls):
    split_idx = list(labels).index(0)
    ll_true, ll_false = lls[:split_idx], lls[split_idx:]
    p_true, p_false = np.exp(np.array(ll_true)), np.exp(np.array(ll_false))
    p_true = p_true / (sum(p_true) + sum(p_false))
    return sum(p_true)


janitor = str.maketrans(string.ascii_lowercase + string.ascii_uppercase, string.ascii_lowercase * 2, string.punctuation)

print("hellaswag roof:", repr(hellaswag_query({"activity_label": "Roof shingle removal", "ctx_a": "A man is sitting on a roof.", "ctx_b": "he"})))
print("hellaswag wikihow:", repr(hellaswag_query({"activity_label": " Home and Garden", "ctx_a": "[header] How to clean a roof [title] Get a ladder. [step] Lean it   against the wall.", "ctx_b": "tHE Ladder [substeps] MUST be stable."})))
print("preprocess ending:", repr(preprocess(" [step] Climb up  slowly [title] Done. ")))
print("mean_stderr [1,0,1,1,0,1,1,1]:", repr(mean_stderr([1, 0, 1, 1, 0, 1, 1, 1])))
print("mean_stderr mc2 [0.5,0.25,0.9]:", repr(mean_stderr([0.5, 0.25, 0.9])))
print("pooled [0.1,0.05] sizes [10,30]:", repr(float(pooled_sample_stderr([0.1, 0.05], [10, 30]))))
print("pooled 3 groups:", repr(float(pooled_sample_stderr([0.2, 0.15, 0.3], [7, 12, 5]))))
print("mc2 [1,1,0,0] lls [-1,-2,-0.5,-3]:", repr(float(mc2([1, 1, 0, 0], [-1.0, -2.0, -0.5, -3.0]))))
print("janitor:", repr("Hello, World! It's 13-grams: “quoted” É.".translate(janitor)))
