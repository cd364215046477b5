"""Optuna's per-trial store overhead, the peer of TunerBenchmarks' journal figures.

Prints one JSON object: trials per second of a trivial-objective RandomSampler study on
Optuna's SQLite storage (its default RDB settings) and on its in-memory storage, and the time to open a stored study and
read all its trials (Optuna's equivalent of a resume).
Usage: python optuna_store.py WORKDIR TRIALS RESUME_TRIALS
"""
import json
import os
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
workdir, trials, resume_trials = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def objective(trial):
    x = trial.suggest_float("x", 1e-4, 1e-1, log=True)
    y = trial.suggest_float("y", 0.0, 1.0)
    return (x - 0.01) ** 2 + y


def storage(name):
    path = os.path.join(workdir, name + ".db")
    if os.path.exists(path):
        os.remove(path)
    return "sqlite:///" + path


url = storage("rate")
study = optuna.create_study(study_name="rate", storage=url, sampler=optuna.samplers.RandomSampler(seed=1))
start = time.perf_counter()
study.optimize(objective, n_trials=trials)
rate = trials / (time.perf_counter() - start)

# The same search with nothing stored: Optuna's in-memory storage.
memory_trials = max(trials, 2000)
study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
start = time.perf_counter()
study.optimize(objective, n_trials=memory_trials)
in_memory = memory_trials / (time.perf_counter() - start)

# A stored study of RESUME_TRIALS trials, then a fresh process-like open and full read.
url = storage("resume")
study = optuna.create_study(study_name="resume", storage=url, sampler=optuna.samplers.RandomSampler(seed=2))
study.optimize(objective, n_trials=resume_trials)
del study
start = time.perf_counter()
reopened = optuna.load_study(study_name="resume", storage=url)
count = len(reopened.get_trials(deepcopy=False))
resume = time.perf_counter() - start

print(json.dumps({"version": optuna.__version__, "trials_per_second": rate, "in_memory_trials_per_second": in_memory,
                  "resume_seconds": resume,
                  "resume_trials": count}))
