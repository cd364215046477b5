"""The three scenarios of the guide "Handling failed trials in KerasTuner", run with
KerasTuner 1.4.8, keras and jax (KERAS_BACKEND=jax). Writes projects under DIRECTORY.
Usage: python kerastuner_guide.py DIRECTORY
"""
import os
import sys

import keras
import keras_tuner
import numpy as np
from keras import layers

directory = sys.argv[1]


def make_build(kind):
    def build_model(hp):
        units_1 = hp.Int("units_1", 10, 40, step=10)
        units_2 = hp.Int("units_2", 10, 30, step=10)
        model = keras.Sequential([keras.Input((20,)), layers.Dense(units=units_1), layers.Dense(units=units_2),
                                  layers.Dense(units=1)])
        model.compile(loss="mse")
        num_params = model.count_params()
        if num_params > 1200:
            message = f"Model too large! It contains {num_params} params."
            if kind == "tolerate":
                raise ValueError(message)
            if kind == "failed":
                raise keras_tuner.errors.FailedTrialError(message)
            raise keras_tuner.errors.FatalError(message)
        return model
    return build_model


np.random.seed(0)
x, y = np.random.rand(100, 20), np.random.rand(100, 1)
xv, yv = np.random.rand(100, 20), np.random.rand(100, 1)
for kind in ["tolerate", "failed", "fatal"]:
    tuner = keras_tuner.GridSearch(hypermodel=make_build(kind), objective="val_loss", overwrite=True,
                                   max_retries_per_trial=3, max_consecutive_failed_trials=8,
                                   directory=directory, project_name=f"guide-{kind}")
    try:
        tuner.search(x=x, y=y, validation_data=(xv, yv), epochs=10, verbose=0)
    except Exception as error:  # the fatal scenario stops the search
        print(f"{kind}: search stopped: {type(error).__name__}: {error}")
    print(f"{kind}: done")
