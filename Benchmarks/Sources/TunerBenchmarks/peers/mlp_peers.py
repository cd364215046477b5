"""The trainer's peers: scikit-learn's MLP and keras+jax.

  python mlp_peers.py trial
      Times a whole trial of the guide's model (64, 32 units, 100 samples, batch 32, 10 epochs,
      build + fit): scikit-learn MLPRegressor, keras+jax with a fresh model per trial (what
      KerasTuner does), and keras+jax's compiled fit of a (512, 512) model (second fit of the
      same model, compilation excluded).
  python mlp_peers.py parity regression|classification TRAIN VALIDATION HIDDEN EPOCHS SEEDS OUTPUTS
      Trains scikit-learn's MLP with the same architecture, epochs, batch size and Adam
      settings; prints the median validation loss (MSE or cross-entropy) over seeds.
Prints one JSON line.
"""
import json
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")


def median(values):
    return float(np.median(values))


def trial_times():
    from sklearn.neural_network import MLPRegressor
    rng = np.random.default_rng(0)
    x, y = rng.random((100, 20)).astype(np.float32), rng.random(100).astype(np.float32)
    xv, yv = rng.random((100, 20)).astype(np.float32), rng.random((100, 1)).astype(np.float32)
    result = {}
    times = []
    for seed in range(20):
        start = time.perf_counter()
        MLPRegressor(hidden_layer_sizes=(64, 32), activation="identity", solver="adam", batch_size=32,
                     max_iter=10, alpha=0.0, random_state=seed, tol=0, n_iter_no_change=1000).fit(x, y)
        times.append(time.perf_counter() - start)
    result["sklearn MLPRegressor (64, 32)"] = median(times)
    try:
        import keras
        times = []
        for seed in range(5):
            start = time.perf_counter()
            keras.utils.set_random_seed(seed)
            model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(64), keras.layers.Dense(32),
                                      keras.layers.Dense(1)])
            model.compile(optimizer="adam", loss="mse")
            model.fit(x, y, batch_size=32, epochs=10, validation_data=(xv, yv), verbose=0)
            times.append(time.perf_counter() - start)
        result["keras+jax fresh model (64, 32)"] = median(times)
        model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(512), keras.layers.Dense(512),
                                  keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y, batch_size=32, epochs=10, validation_data=(xv, yv), verbose=0)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            model.fit(x, y, batch_size=32, epochs=10, validation_data=(xv, yv), verbose=0)
            times.append(time.perf_counter() - start)
        result["keras+jax compiled fit (512, 512)"] = median(times)
        result["keras version"] = keras.__version__
    except ImportError:
        pass
    return result


def parity(kind, train, validation, hidden, epochs, seeds, outputs):
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    tr, va = np.loadtxt(train, delimiter=","), np.loadtxt(validation, delimiter=",")
    x, y = tr[:, :-outputs], tr[:, -outputs:]
    xv, yv = va[:, :-outputs], va[:, -outputs:]
    losses = []
    for seed in range(seeds):
        common = dict(hidden_layer_sizes=hidden, activation="relu", solver="adam", batch_size=32,
                      learning_rate_init=1e-3, max_iter=epochs, alpha=0.0, random_state=seed, tol=0,
                      n_iter_no_change=10 ** 6, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
        if kind == "regression":
            model = MLPRegressor(**common).fit(x, y.ravel())
            losses.append(float(np.mean((model.predict(xv) - yv.ravel()) ** 2)))
        else:
            labels, labels_v = y.argmax(axis=1), yv.argmax(axis=1)
            model = MLPClassifier(**common).fit(x, labels)
            p = np.clip(model.predict_proba(xv), 1e-7, 1 - 1e-7)
            losses.append(float(-np.mean(np.log(p[np.arange(len(labels_v)), labels_v]))))
    return {"median": median(losses), "losses": losses}


if sys.argv[1] == "trial":
    print(json.dumps(trial_times()))
else:
    kind, train, validation, hidden, epochs, seeds, outputs = sys.argv[2:9]
    print(json.dumps(parity(kind, train, validation, tuple(int(h) for h in hidden.split(",")), int(epochs),
                            int(seeds), int(outputs))))
