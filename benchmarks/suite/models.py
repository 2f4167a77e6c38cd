"""Tuning real scikit-learn models on the data scikit-learn ships (no downloads).

Each objective is a cross-validated loss with fixed folds and fixed random_state, so a set of
parameters always gets the same value and every peer meets the same function. Models and data
are kept small (subsamples, few trees, few folds): the suite runs on a 2-core machine shared
with others, and a problem is evaluated about 2,000 times (5 peers x 10 seeds x 40 runs).
Optimum unknown: regret is taken against the best value any peer found (search_suite.py).
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np

from .problem import Problem, categorical, integer, log_uniform, uniform


@functools.lru_cache(maxsize=None)
def _data(name: str, n: int | None = None):
    from sklearn import datasets
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    if n and len(X) > n:
        idx = np.random.default_rng(0).permutation(len(X))[:n]
        X, y = X[idx], y[idx]
    return X, y


def _cv(model, name, n=None, scoring="neg_mean_squared_error", folds=3, scale_y=False):
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
    X, y = _data(name, n)
    if scale_y:
        y = (y - y.mean()) / y.std()
    splitter = (KFold if scoring.startswith("neg_mean") else StratifiedKFold)(
        folds, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings at bad settings: part of the loss
        scores = cross_val_score(model, X, y, cv=splitter, scoring=scoring, error_score=np.nan)
    value = -float(np.mean(scores))
    return value if math.isfinite(value) else 10.0  # a setting that fails: a bad value


def svr_diabetes(p):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVR
    return _cv(make_pipeline(StandardScaler(), SVR(C=p["C"], gamma=p["gamma"], epsilon=p["epsilon"])),
               "diabetes", scale_y=True)


def sgd_digits(p):
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    model = SGDClassifier(loss=p["loss"], penalty=p["penalty"], alpha=p["alpha"],
                          l1_ratio=p["l1_ratio"], learning_rate=p["schedule"], eta0=p["eta0"],
                          max_iter=p["epochs"], tol=None, random_state=0)
    # 1 - accuracy: hinge losses give no probabilities to score a log loss with
    return 1.0 + _cv(make_pipeline(StandardScaler(), model), "digits", n=600, scoring="accuracy")


def rf_breast_cancer(p):
    from sklearn.ensemble import RandomForestClassifier
    model = RandomForestClassifier(n_estimators=p["n_estimators"], max_depth=p["max_depth"],
                                   max_features=p["max_features"], min_samples_leaf=p["min_samples_leaf"],
                                   criterion=p["criterion"], bootstrap=p["bootstrap"],
                                   random_state=0, n_jobs=1)
    return _cv(model, "breast_cancer", scoring="neg_brier_score")


def knn_wine(p):
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler
    steps = {"standard": [StandardScaler()], "minmax": [MinMaxScaler()], "none": []}[p["scaler"]]
    model = make_pipeline(*steps, KNeighborsClassifier(n_neighbors=p["n_neighbors"],
                                                       weights=p["weights"], p=p["p"]))
    return _cv(model, "wine", scoring="neg_brier_score")


def gbr_diabetes(p):
    from sklearn.ensemble import GradientBoostingRegressor
    model = GradientBoostingRegressor(n_estimators=p["n_estimators"], learning_rate=p["learning_rate"],
                                      max_depth=p["max_depth"], subsample=p["subsample"],
                                      min_samples_leaf=p["min_samples_leaf"], random_state=0)
    return _cv(model, "diabetes", scale_y=True)


def mlp_iris(p):
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    model = MLPClassifier(hidden_layer_sizes=(p["width"],) * p["layers"], alpha=p["alpha"],
                          learning_rate_init=p["lr"], activation=p["activation"],
                          max_iter=40, random_state=0)
    return _cv(make_pipeline(StandardScaler(), model), "iris", scoring="neg_log_loss")


# mlp_digits: a network sweep's usual shape at a small budget (dev; the seeds' CNN, held out, has
# the same shape): widths as a categorical of 8 numbers, the optimizer as a categorical whose
# good learning rates differ, a learning rate over 5 decades, a stepped batch size
MLP_DIGITS_EPOCHS = 3

def mlp_digits(p):
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    model = MLPClassifier(hidden_layer_sizes=(int(p["width"]),), solver=p["solver"],
                          activation=p["activation"], learning_rate_init=p["lr"],
                          batch_size=int(p["batch_size"]), alpha=1e-4, max_iter=MLP_DIGITS_EPOCHS,
                          momentum=0.9, random_state=0)
    # 1 - accuracy, as a sweep that maximizes val_acc sees it
    return 1.0 + _cv(make_pipeline(StandardScaler(), model), "digits", n=600, scoring="accuracy",
                     folds=2)


def hgb_breast_cancer(p):
    from sklearn.ensemble import HistGradientBoostingClassifier
    model = HistGradientBoostingClassifier(max_iter=p["max_iter"], max_leaf_nodes=p["max_leaf_nodes"],
                                           min_samples_leaf=p["min_samples_leaf"],
                                           learning_rate=p["learning_rate"],
                                           l2_regularization=p["l2_regularization"],
                                           early_stopping=False, random_state=0)
    return _cv(model, "breast_cancer", scoring="neg_log_loss")


def elasticnet_diabetes(p):
    from sklearn.linear_model import ElasticNet
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler
    model = make_pipeline(PolynomialFeatures(2, include_bias=False), StandardScaler(),
                          ElasticNet(alpha=p["alpha"], l1_ratio=p["l1_ratio"], max_iter=300, tol=1e-3))
    return _cv(model, "diabetes", scale_y=True)


MODELS = {
    "svr_diabetes": Problem({"C": log_uniform(1e-2, 1e3), "gamma": log_uniform(1e-4, 1.0),
                             "epsilon": log_uniform(1e-3, 1.0)}, svr_diabetes, None, "held-out",
                            "SVR on diabetes, 3 log-scaled parameters"),
    "sgd_digits": Problem({"loss": categorical(["hinge", "log_loss", "modified_huber", "squared_hinge"]),
                           "penalty": categorical(["l2", "l1", "elasticnet"]),
                           "alpha": log_uniform(1e-6, 1e-1), "l1_ratio": uniform(0, 1),
                           "schedule": categorical(["optimal", "constant", "invscaling", "adaptive"]),
                           "eta0": log_uniform(1e-4, 1.0), "epochs": integer(3, 30)},
                          sgd_digits, None, "dev", "linear classifier on digits (600), mixed space"),
    "rf_breast_cancer": Problem({"n_estimators": integer(5, 25), "max_depth": integer(1, 12),
                                 "max_features": uniform(0.05, 1.0), "min_samples_leaf": integer(1, 30),
                                 "criterion": categorical(["gini", "entropy"]),
                                 "bootstrap": categorical([True, False])},
                                rf_breast_cancer, None, "dev", "random forest, integer-heavy"),
    "knn_wine": Problem({"n_neighbors": integer(1, 60), "weights": categorical(["uniform", "distance"]),
                         "p": categorical([1, 2]), "scaler": categorical(["standard", "minmax", "none"])},
                        knn_wine, None, "held-out", "k-NN on wine, categorical-heavy"),
    "gbr_diabetes": Problem({"n_estimators": integer(10, 40), "learning_rate": log_uniform(1e-2, 1.0),
                             "max_depth": integer(1, 5), "subsample": uniform(0.3, 1.0),
                             "min_samples_leaf": integer(1, 40)},
                            gbr_diabetes, None, "held-out", "gradient boosting on diabetes"),
    "mlp_iris": Problem({"width": integer(2, 64), "layers": integer(1, 3), "alpha": log_uniform(1e-6, 1.0),
                         "lr": log_uniform(1e-4, 1.0), "activation": categorical(["relu", "tanh", "logistic"])},
                        mlp_iris, None, "dev", "small neural net on iris, log loss"),
    "mlp_digits": Problem({"solver": categorical(["adam", "sgd"]),
                           "width": categorical([8, 16, 24, 32, 48, 64, 96, 128]),
                           "activation": categorical(["relu", "tanh", "logistic"]),
                           "lr": log_uniform(1e-5, 1.0),
                           "batch_size": {"distribution": "q_uniform", "q": 16, "min": 16, "max": 256}},
                          mlp_digits, None, "dev",
                          "small network on digits (600), categorical widths, 20 runs", budget=20),
    "hgb_breast_cancer": Problem({"max_iter": categorical([10, 20, 40, 80]),
                                  "max_leaf_nodes": categorical([4, 8, 16, 32, 64]),
                                  "min_samples_leaf": categorical([1, 5, 10, 20, 50]),
                                  "learning_rate": log_uniform(1e-3, 1.0),
                                  "l2_regularization": log_uniform(1e-4, 10.0)},
                                 hgb_breast_cancer, None, "dev",
                                 "histogram boosting, sizes listed as values, log loss"),
    "elasticnet_diabetes": Problem({"alpha": log_uniform(1e-5, 10.0), "l1_ratio": uniform(0, 1)},
                                   elasticnet_diabetes, None, "dev",
                                   "elastic net on degree-2 features of diabetes"),
}
