"""The tuners' peers tuning the built-in MLP on a shipped dataset.

Usage: python mlp_tuners.py TUNERBENCHMARKS DATASET SEEDS TRIALS MAX_EPOCHS [ONLY]
(ONLY: a word of the methods to run, e.g. Hyperband)
Runs Optuna 5.0's TPE and KerasTuner 1.4.8's BayesianOptimization, RandomSearch and Hyperband
oracles on the same problem as SwiftTuner's tuners: every trial is trained by
`TUNERBENCHMARKS mlp-objective DATASET SEED` (one process per run, JSON lines on its pipes), so all
tuners optimize one function at one cost. An attempt costs the epochs it asks for, failed or
not; prints, after each tuner, a JSON line {method: {"best": {"20": median best within 20 full
trials' epochs, …}, "failed": median failed trials}} of the results so far.
"""
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("KERAS_BACKEND", "jax")
binary, dataset, seeds, trials, max_epochs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
checkpoints = [n for n in (20, 50, 100) if n <= trials]
budget = trials * max_epochs


class Objective:
    """One run's trainer process, with the epochs spent, the best loss and the failures."""

    def __init__(self, seed):
        self.process = subprocess.Popen([binary, "mlp-objective", dataset, str(seed)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, bufsize=1)
        self.spent, self.best, self.failed, self.curve = 0, math.inf, 0, []

    def can_spend(self, epochs):
        return self.spent + epochs <= budget

    def __call__(self, trial_id, units_1, units_2, learning_rate, epochs, parent=None):
        """The validation loss, or None for a failed trial (a model too large)."""
        self.spent += epochs
        request = {"id": trial_id, "units_1": units_1, "units_2": units_2, "learning_rate": learning_rate,
                   "epochs": epochs}
        if parent is not None:
            request["parent"] = parent
        self.process.stdin.write(json.dumps(request) + "\n")
        answer = json.loads(self.process.stdout.readline())
        loss = answer.get("val_loss")
        if loss is None:
            self.failed += 1
        else:
            self.best = min(self.best, loss)
        self.curve.append((self.spent, self.best))
        return loss

    def close(self):
        self.process.stdin.close()
        self.process.wait()

    def best_within(self, epochs):
        within = [best for spent, best in self.curve if spent <= epochs]
        return within[-1] if within else math.inf


def summarize(runs):
    best = {str(n): statistics.median(r.best_within(n * max_epochs) for r in runs) for n in checkpoints}
    return {"best": best, "failed": statistics.median(r.failed for r in runs),
            "attempts": statistics.median(len(r.curve) for r in runs)}


def optuna_tpe(seed):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    objective = Objective(seed)
    for number in range(trials):
        trial = study.ask()
        loss = objective(str(number), trial.suggest_int("units_1", 8, 512, log=True),
                         trial.suggest_int("units_2", 8, 512, log=True),
                         trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True), max_epochs)
        if loss is None:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(trial, loss)
    objective.close()
    return objective


def kerastuner(kind):
    def run(seed):
        import keras_tuner
        hp = keras_tuner.HyperParameters()
        hp.Int("units_1", 8, 512, sampling="log")
        hp.Int("units_2", 8, 512, sampling="log")
        hp.Float("learning_rate", 1e-4, 1e-1, sampling="log")
        common = dict(objective=keras_tuner.Objective("val_loss", "min"), seed=seed, hyperparameters=hp,
                      max_consecutive_failed_trials=10 * trials)
        if kind == "bayesian":
            oracle = keras_tuner.oracles.BayesianOptimizationOracle(max_trials=trials, **common)
        elif kind == "random":
            oracle = keras_tuner.oracles.RandomSearchOracle(max_trials=trials, **common)
        else:
            oracle = keras_tuner.oracles.HyperbandOracle(max_epochs=max_epochs, factor=3, hyperband_iterations=100,
                                                         **common)
        objective = Objective(seed)

        class MLPTuner(keras_tuner.engine.base_tuner.BaseTuner):
            def run_trial(self, trial, *args, **kwargs):
                values = trial.hyperparameters.values
                epochs, parent = max_epochs, values.get("tuner/trial_id")
                if "tuner/epochs" in values:
                    epochs = values["tuner/epochs"] - (values["tuner/initial_epoch"] if parent else 0)
                if not objective.can_spend(epochs):
                    raise keras_tuner.errors.FatalError("the epoch budget is spent")
                loss = objective(trial.trial_id, values["units_1"], values["units_2"], values["learning_rate"],
                                 epochs, parent)
                if loss is None:
                    raise keras_tuner.errors.FailedTrialError("model too large")
                return loss

        with tempfile.TemporaryDirectory() as directory:
            tuner = MLPTuner(oracle=oracle, directory=directory, project_name="p", overwrite=True)
            try:
                tuner.search(verbose=0)
            except keras_tuner.errors.FatalError:
                pass
        objective.close()
        return objective
    return run


# KerasTuner's Gaussian process is by far the slowest: last. Each line printed holds every result
# so far (the caller reads the last one; a long run can be followed in its output).
result = {}
for name, method in [("Optuna 5.0 TPE", optuna_tpe),
                     ("KerasTuner 1.4.8 RandomSearch", kerastuner("random")),
                     ("KerasTuner 1.4.8 Hyperband", kerastuner("hyperband")),
                     ("KerasTuner 1.4.8 BayesianOptimization", kerastuner("bayesian"))]:
    if len(sys.argv) > 6 and sys.argv[6] not in name:
        continue
    try:
        result[name] = summarize([method(seed) for seed in range(seeds)])
    except Exception as error:  # a missing peer shows in the table, not as a crash
        result[name] = {"error": f"{type(error).__name__}: {error}"}
    print(json.dumps(result), flush=True)
