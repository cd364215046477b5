"""The tuners' peers on standard test functions with a region that fails.

Usage: python hpo_functions.py SEEDS TRIALS [ONLY]   (ONLY: a word of the methods to run, e.g. TPE)
Runs Optuna 5.0's TPE and KerasTuner 1.4.8's BayesianOptimization and RandomSearch oracles on
Branin (failing where x > 5) and Hartmann-6 (failing where x0 > 0.75), SEEDS seeds of TRIALS
trials each; prints one JSON line: {method: {function: {"best": {20: median, 50: …, 100: …},
"failed": median failed trials}}}.
"""
import json
import math
import os
import statistics
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("KERAS_BACKEND", "jax")
seeds, trials = int(sys.argv[1]), int(sys.argv[2])
checkpoints = [n for n in (20, 50, 100) if n <= trials]


class Failed(Exception):
    pass


def branin(v):
    x, y = v["x"], v["y"]
    if x > 5:
        raise Failed()
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
     [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann6(v):
    x = [v[f"x{i}"] for i in range(6)]
    if x[0] > 0.75:
        raise Failed()
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j] * 1e-4) ** 2 for j in range(6))) for i in range(4))


FUNCTIONS = {
    "branin": (branin, {"x": (-5.0, 10.0), "y": (0.0, 15.0)}),
    "hartmann6": (hartmann6, {f"x{i}": (0.0, 1.0) for i in range(6)}),
}


def summarize(runs):
    """runs: list of (best-so-far list, failures)."""
    best = {str(n): statistics.median(r[0][n - 1] for r in runs) for n in checkpoints}
    return {"best": best, "failed": statistics.median(r[1] for r in runs)}


def optuna_tpe(function, bounds, seed):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    history, failed, best = [], 0, math.inf

    def objective(trial):
        return function({k: trial.suggest_float(k, lo, hi) for k, (lo, hi) in bounds.items()})

    for _ in range(trials):
        trial = study.ask()
        try:
            value = objective(trial)
            study.tell(trial, value)
            best = min(best, value)
        except Failed:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            failed += 1
        history.append(best)
    return history, failed


def kerastuner(kind):
    def run(function, bounds, seed):
        import keras_tuner
        hp = keras_tuner.HyperParameters()
        for k, (lo, hi) in bounds.items():
            hp.Float(k, lo, hi)
        objective = keras_tuner.Objective("score", "min")
        common = dict(objective=objective, max_trials=trials, seed=seed, hyperparameters=hp,
                      max_consecutive_failed_trials=trials + 1)
        oracle = (keras_tuner.oracles.BayesianOptimizationOracle(**common) if kind == "bayesian"
                  else keras_tuner.oracles.RandomSearchOracle(**common))
        history, state = [], {"failed": 0, "best": math.inf}

        class FunctionTuner(keras_tuner.engine.base_tuner.BaseTuner):
            def run_trial(self, trial, *args, **kwargs):
                try:
                    value = function(trial.hyperparameters.values)
                except Failed:
                    state["failed"] += 1
                    history.append(state["best"])
                    raise keras_tuner.errors.FailedTrialError("failing region")
                state["best"] = min(state["best"], value)
                history.append(state["best"])
                return value

        with tempfile.TemporaryDirectory() as directory:
            tuner = FunctionTuner(oracle=oracle, directory=directory, project_name="p", overwrite=True)
            tuner.search(verbose=0)
        while len(history) < trials:
            history.append(state["best"])
        return history[:trials], state["failed"]
    return run


result = {}
for name, method in [("Optuna 5.0 TPE", optuna_tpe), ("KerasTuner 1.4.8 BayesianOptimization", kerastuner("bayesian")),
                     ("KerasTuner 1.4.8 RandomSearch", kerastuner("random"))]:
    if len(sys.argv) > 3 and sys.argv[3] not in name:
        continue
    result[name] = {}
    for fname, (function, bounds) in FUNCTIONS.items():
        try:
            result[name][fname] = summarize([method(function, bounds, seed) for seed in range(seeds)])
        except Exception as error:  # a missing peer shows in the table, not as a crash
            result[name][fname] = {"error": f"{type(error).__name__}: {error}"}
print(json.dumps(result))
