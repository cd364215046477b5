"""Optuna's proposal time with a history of N trials, the peer of `TunerBenchmarks proposals`.

Reads a JSON file: {"dimensions": D, "histories": {"N": [[x0, ..., x(D-1), value or null], ...]}}
(null: a failed trial). For each N, a study on Optuna's in-memory storage is given those trials
(failed ones as FAIL), then the time of `study.ask(distributions)` is measured (the sampler
proposing every parameter of trial N) for GPSampler and TPESampler, the median of ROUNDS
asks. Prints one JSON object.

Usage: python optuna_proposals.py HISTORY.json ROUNDS
"""
import json
import statistics
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
spec = json.load(open(sys.argv[1]))
rounds = int(sys.argv[2])
dims = spec["dimensions"]
distributions = {f"x{i}": optuna.distributions.FloatDistribution(0.0, 1.0) for i in range(dims)}
result = {"version": optuna.__version__}
for size, rows in spec["histories"].items():
    for name, make in [("gp", lambda: optuna.samplers.GPSampler(seed=1)),
                       ("tpe", lambda: optuna.samplers.TPESampler(seed=1))]:
        times = []
        for _ in range(rounds):
            study = optuna.create_study(sampler=make())
            for row in rows:
                params = {f"x{i}": row[i] for i in range(dims)}
                value = row[dims]
                study.add_trial(optuna.trial.create_trial(
                    params=params, distributions=distributions,
                    value=value if value is not None else None,
                    state=optuna.trial.TrialState.COMPLETE if value is not None else optuna.trial.TrialState.FAIL))
            start = time.perf_counter()
            study.ask(distributions)
            times.append(time.perf_counter() - start)
        result[f"{name}_{size}_seconds"] = statistics.median(times)
print(json.dumps(result))
