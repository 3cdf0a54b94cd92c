"""GridSearchCV scaled out on a dask.distributed LocalCluster via joblib."""

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

from sk_scratchnet import ScratchMLPClassifier

pytest.importorskip("dask", reason="the 'dask' extra (dask[array]) is not installed")
distributed = pytest.importorskip(
    "distributed", reason="the 'dask' extra (distributed) is not installed"
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PARAM_GRID = {"alpha": [1e-4, 1e-1], "hidden_layer_sizes": [(4,), (12,)]}


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


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=300, n_features=8, n_informative=5, random_state=0
    )


def _search():
    estimator = ScratchMLPClassifier(max_iter=60, random_state=0)
    return GridSearchCV(estimator, PARAM_GRID, cv=3)


@pytest.fixture(scope="module")
def local_search(data):
    X, y = data
    return _search().fit(X, y)


def test_grid_search_on_dask_matches_local(client, data, local_search):
    X, y = data
    with (
        distributed.get_task_stream(client) as tasks,
        joblib.parallel_backend("dask"),
    ):
        dask_search = _search().fit(X, y)

    assert len(tasks.data) > 0, "no task ran on the dask cluster"
    assert dask_search.best_params_ == local_search.best_params_
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        np.testing.assert_allclose(
            dask_search.cv_results_[key], local_search.cv_results_[key]
        )
    np.testing.assert_allclose(
        dask_search.predict_proba(X), local_search.predict_proba(X)
    )


def test_cluster_listens_on_loopback_only(client):
    info = client.scheduler_info()
    addresses = [client.scheduler.address, *info["workers"]]
    assert all(address.startswith("tcp://127.0.0.1:") for address in addresses)
