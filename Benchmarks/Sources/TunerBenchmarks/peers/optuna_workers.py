"""Optuna's coordination cost with many workers, the peer of TunerBenchmarks' workers figures.

N processes run a trivial-objective RandomSampler study on one SQLite file for SECONDS each
(Optuna's RDB storage with a 30 s lock timeout, so that workers wait rather than fail).
Prints one JSON object: completed trials per second over the window, each worker's count,
the 99th percentile of a worker's cycle (one trial's start to its next), and
the trials that failed with a storage error.
Usage: python optuna_workers.py WORKDIR N SECONDS [SQLALCHEMY_URL]
(a PostgreSQL URL, postgresql+psycopg2://…, puts the study there instead of the SQLite file).
"""
import json
import multiprocessing
import os
import sys
import time

import optuna

workdir, count, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
url = sys.argv[4] if len(sys.argv) > 4 else "sqlite:///" + os.path.join(workdir, "workers.db")


def storage():
    if url.startswith("sqlite"):
        return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 30}})
    return optuna.storages.RDBStorage(url)


def objective(trial):
    x = trial.suggest_float("x", 1e-4, 1e-1, log=True)
    y = trial.suggest_float("y", 0.0, 1.0)
    return (x - 0.01) ** 2 + y


def work(worker, start):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.load_study(study_name="workers", storage=storage(), sampler=optuna.samplers.RandomSampler(seed=worker))

    def tagged(trial):
        trial.set_user_attr("worker", worker)
        return objective(trial)

    while time.time() < start:
        time.sleep(0.001)
    study.optimize(tagged, timeout=seconds, catch=(Exception,))


if __name__ == "__main__":
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    optuna.create_study(study_name="workers", storage=storage())
    start = time.time() + 1.0
    processes = [multiprocessing.Process(target=work, args=(i, start)) for i in range(count)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    trials = optuna.load_study(study_name="workers", storage=storage()).get_trials(deepcopy=False)
    end = start + seconds
    done = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE
            and start <= t.datetime_complete.timestamp() < end]
    errors = sum(1 for t in trials if t.state == optuna.trial.TrialState.FAIL)
    per_worker = [sum(1 for t in done if t.user_attrs.get("worker") == i) for i in range(count)]
    gaps = []
    for i in range(count):
        mine = sorted((t for t in done if t.user_attrs.get("worker") == i), key=lambda t: t.datetime_start)
        for before, after in zip(mine, mine[1:]):
            gaps.append(after.datetime_start.timestamp() - before.datetime_start.timestamp())
    gaps.sort()
    p99 = gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))] if gaps else float("nan")
    print(json.dumps({"version": optuna.__version__, "trials_per_second": len(done) / seconds,
                      "per_worker": per_worker, "cycle_p99": p99, "errors": errors}))
