"""GridSearchCV scaled out on a dask.distributed LocalCluster via joblib."""

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_friedman1
from sklearn.model_selection import GridSearchCV

from sk_scratchnet import ScratchMLPClassifier, ScratchMLPRegressor

pytest.importorskip("dask", reason="the 'dask' extra (dask[array]) is not installed")
distributed = pytest.importorskip(
    "distributed", reason="the 'dask' extra (distributed) is not installed"
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PARAM_GRID = {"alpha": [1e-4, 1e-1], "hidden_layer_sizes": [(4,), (12,)]}
# The estimator of each kind, and the prediction compared after the search. The
# regressor's larger steps make it learn in 60 epochs (held-out R² about 0.75), so
# that the grid's scores are not near ties.
ESTIMATORS = {
    "classifier": (
        ScratchMLPClassifier(max_iter=60, random_state=0),
        "predict_proba",
    ),
    "regressor": (
        ScratchMLPRegressor(
            max_iter=60, learning_rate_init=0.01, batch_size=50, random_state=0
        ),
        "predict",
    ),
}


@pytest.fixture(scope="module", params=[False, True], ids=["threads", "processes"])
def client(request):
    # Loopback only: the scheduler and workers listen on 127.0.0.1 over TCP.
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=request.param,
            protocol="tcp://",
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module", params=sorted(ESTIMATORS))
def kind(request):
    return request.param


@pytest.fixture(scope="module")
def data(kind):
    if kind == "classifier":
        return make_classification(
            n_samples=300, n_features=8, n_informative=5, random_state=0
        )
    X, y = make_friedman1(n_samples=300, n_features=8, noise=0.5, random_state=0)
    return X, (y - y.mean()) / y.std()


def _search(kind):
    estimator, _ = ESTIMATORS[kind]
    return GridSearchCV(clone(estimator), PARAM_GRID, cv=3)


@pytest.fixture(scope="module")
def local_search(kind, data):
    X, y = data
    return _search(kind).fit(X, y)


def test_grid_search_on_dask_matches_local(client, kind, data, local_search):
    X, y = data
    with (
        distributed.get_task_stream(client) as tasks,
        joblib.parallel_backend("dask"),
    ):
        dask_search = _search(kind).fit(X, y)

    assert len(tasks.data) > 0, "no task ran on the dask cluster"
    assert local_search.best_score_ > 0.7  # the models learned: no ranking by noise
    assert dask_search.best_params_ == local_search.best_params_
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        np.testing.assert_allclose(
            dask_search.cv_results_[key], local_search.cv_results_[key]
        )
    _, prediction = ESTIMATORS[kind]
    np.testing.assert_allclose(
        getattr(dask_search, prediction)(X), getattr(local_search, prediction)(X)
    )


def test_cluster_listens_on_loopback_only(client):
    info = client.scheduler_info()
    addresses = [client.scheduler.address, *info["workers"]]
    assert all(address.startswith("tcp://127.0.0.1:") for address in addresses)
