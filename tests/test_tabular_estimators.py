"""TabularMLPClassifier / TabularMLPRegressor: parameters, inputs, targets, weights.

Tables as users have them (pandas DataFrames with numeric, boolean,
categorical and string columns and missing values), the errors for bad input
(nothing modified), sample and class weights as repetitions, the regressor's
standardised and clipped targets, ``verbose`` and scikit-learn's callbacks.
Small networks and few epochs keep every fit fast.
"""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from sk_scratchnet import TabularMLPClassifier, TabularMLPRegressor

pd = pytest.importorskip("pandas")

FAST = {"hidden_layer_sizes": (16,), "max_epochs": 8, "random_state": 0}
ESTIMATORS = [TabularMLPClassifier, TabularMLPRegressor]


def fast(cls, **params):
    return cls(**{**FAST, **params})


def make_frame(n=120, seed=0, missing=True):
    """A mixed table and a label that depends on a string and a numeric column."""
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green", "blue"], size=n)
    size = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "size": size,
            "count": rng.integers(0, 20, size=n),
            "flag": rng.random(n) < 0.5,
            "colour": colour,
            "city": pd.Categorical(rng.choice([f"c{i}" for i in range(15)], size=n)),
        }
    )
    if missing:
        frame.loc[rng.random(n) < 0.1, "size"] = np.nan
        frame.loc[rng.random(n) < 0.1, "colour"] = None
    label = np.where((colour == "red") | (size > 1.0), "yes", "no")
    target = 2.0 * (colour == "red") + size
    return frame, label, np.nan_to_num(target)


# ------------------------------------------------------------------ parameters
def test_defaults_are_the_recipe():
    clf, reg = TabularMLPClassifier(), TabularMLPRegressor()
    for est in (clf, reg):
        params = est.get_params()
        assert params["hidden_layer_sizes"] == (256, 256, 256)
        assert params["numeric_embedding"] == "pbld"
        assert params["batch_size"] == params["max_epochs"] == 256
        assert params["validation_fraction"] == 0.2
        assert params["beta_2"] == 0.95
        assert params["dropout"] == 0.15
        assert params["weight_decay"] == 0.02
        assert params["lr_schedule"] == "coslog4"
        assert params["dtype"] == "float32"
    assert (clf.activation, clf.learning_rate, clf.label_smoothing) == (
        "selu",
        0.04,
        0.1,
    )
    assert (reg.activation, reg.learning_rate) == ("mish", 0.2)


def test_init_only_stores():
    est = TabularMLPClassifier(learning_rate=-5.0, activation="nope")
    assert est.learning_rate == -5.0
    assert clone(est).get_params() == est.get_params()


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "params",
    [
        {"learning_rate": -1.0},
        {"learning_rate": 0},
        {"activation": "nope"},
        {"lr_schedule": "nope"},
        {"dropout": 1.0},
        {"weight_decay": -0.1},
        {"validation_fraction": 1.0},
        {"validation_fraction": 0.0},
        {"numeric_embedding": "fourier"},
        {"dtype": "float16"},
        {"batch_size": 0},
        {"max_epochs": 0},
        {"max_one_hot": -1},
        {"categorical_features": "all"},
        {"parametric_activation": "yes"},
    ],
    ids=repr,
)
def test_bad_hyperparameters_raise_invalid_parameter_error(cls, params):
    X, _, y = make_frame(missing=False)
    with pytest.raises(InvalidParameterError):
        fast(cls, **params).fit(X, y)


@pytest.mark.parametrize("sizes", [(0,), (16, -1), (), (1.5,), (True,)])
def test_bad_hidden_layer_sizes(sizes):
    X, _, y = make_frame(missing=False)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        fast(TabularMLPRegressor, hidden_layer_sizes=sizes).fit(X, y)


@pytest.mark.parametrize("params", [{"label_smoothing": 1.0}, {"class_weight": "x"}])
def test_bad_classifier_parameters(params):
    X, labels, _ = make_frame(missing=False)
    with pytest.raises(InvalidParameterError):
        fast(TabularMLPClassifier, **params).fit(X, labels)


# ---------------------------------------------------------------------- tables
def test_mixed_dataframe_with_missing_values():
    X, labels, _ = make_frame()
    clf = fast(TabularMLPClassifier, max_epochs=30).fit(X, labels)
    assert list(clf.feature_names_in_) == list(X.columns)
    assert clf.n_features_in_ == 5
    assert clf.is_categorical_.tolist() == [False, False, True, True, True]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(X)) <= {"no", "yes"}
    assert clf.score(X, labels) > 0.85


def test_learns_from_a_string_column():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"animal": rng.choice(["cat", "dog", "eel", "owl"], size=200)})
    y = X["animal"].map({"cat": 0, "dog": 1, "eel": 2, "owl": 0}).to_numpy()
    clf = fast(TabularMLPClassifier, max_epochs=40).fit(X, y)
    assert clf.score(X, y) == 1.0


def test_numeric_array_input():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (np.nan_to_num(X[:, 0]) > 0).astype(int)
    clf = fast(TabularMLPClassifier, max_epochs=30).fit(X, y)
    assert not hasattr(clf, "feature_names_in_")
    assert clf.n_features_in_ == 3
    assert clf.predict(X).shape == (100,)


def test_unknown_category_is_treated_as_missing():
    X, labels, _ = make_frame()
    clf = fast(TabularMLPClassifier).fit(X, labels)
    unseen, missing = X.head(5).copy(), X.head(5).copy()
    unseen["colour"] = "purple"
    missing["colour"] = None
    np.testing.assert_array_equal(clf.predict_proba(unseen), clf.predict_proba(missing))


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda X: X.drop(columns="count"), "feature names"),
        (lambda X: X.assign(extra=1.0), "feature names"),
        (lambda X: X[list(X.columns[::-1])], "feature names"),
        (lambda X: X.rename(columns={"size": "width"}), "feature names"),
    ],
    ids=["missing", "extra", "reordered", "renamed"],
)
def test_column_mismatch_at_predict_is_a_clear_error(change, match):
    X, labels, _ = make_frame()
    clf = fast(TabularMLPClassifier).fit(X, labels)
    with pytest.raises(ValueError, match=match):
        clf.predict(change(X))


def test_array_with_wrong_width_at_predict():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    reg = fast(TabularMLPRegressor).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="features"):
        reg.predict(X[:, :2])


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_inputs_are_not_modified(cls):
    X, labels, target = make_frame()
    y = labels if cls is TabularMLPClassifier else target
    X_before, y_before = X.copy(), y.copy()
    w = np.random.default_rng(0).random(len(X))
    w_before = w.copy()
    est = fast(cls).fit(X, y, sample_weight=w)
    est.predict(X)
    pd.testing.assert_frame_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    np.testing.assert_array_equal(w, w_before)
    A = np.random.default_rng(0).normal(size=(40, 3))
    A[0, 0] = np.nan
    A_before = A.copy()
    fast(TabularMLPRegressor).fit(A, np.arange(40.0)).predict(A)
    np.testing.assert_array_equal(A, A_before)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_infinite_values_are_an_error(cls):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    X[3, 1] = np.inf
    with pytest.raises(ValueError, match=r"[Ii]nf"):
        fast(cls).fit(X, np.arange(30) % 2)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_sparse_input_is_a_clear_error(cls):
    sparse = pytest.importorskip("scipy.sparse")
    X = sparse.random(30, 3, density=0.5, random_state=0, format="csr")
    with pytest.raises(TypeError, match="sparse"):
        fast(cls).fit(X, np.arange(30) % 2)


# --------------------------------------------------------------------- targets
def test_string_class_labels():
    X, labels, _ = make_frame()
    clf = fast(TabularMLPClassifier).fit(X, labels)
    assert clf.classes_.tolist() == ["no", "yes"]
    assert clf.predict(X).dtype.kind in "OU"


def test_multiclass_probabilities_follow_classes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 2))
    y = np.array(["b", "a", "c"])[np.argmax(X @ rng.normal(size=(2, 3)), axis=1)]
    clf = fast(TabularMLPClassifier, max_epochs=30).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(
        clf.classes_[np.argmax(proba, axis=1)], clf.predict(X)
    )
    np.testing.assert_allclose(np.log(proba), clf.predict_log_proba(X), atol=1e-12)


@pytest.mark.parametrize(
    "y",
    [
        np.array([0.0, 1.0, np.nan] * 10),
        np.array(["a", None, "b"] * 10, dtype=object),
        pd.Series(["a", pd.NA, "b"] * 10, dtype="string"),
    ],
    ids=["nan", "none", "pandas-na"],
)
def test_missing_label_is_a_clear_error(y):
    X = np.random.default_rng(0).normal(size=(30, 2))
    with pytest.raises(ValueError, match="missing label"):
        fast(TabularMLPClassifier).fit(X, y)


def test_missing_regression_target_is_a_clear_error():
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.arange(30.0)
    y[4] = np.nan
    with pytest.raises(ValueError, match="missing value"):
        fast(TabularMLPRegressor).fit(X, y)


def test_one_class_and_continuous_labels_are_errors():
    X = np.random.default_rng(0).normal(size=(30, 2))
    with pytest.raises(ValueError, match="only one class"):
        fast(TabularMLPClassifier).fit(X, np.ones(30))
    with pytest.raises(ValueError, match="Unknown label type"):
        fast(TabularMLPClassifier).fit(X, np.linspace(0, 1, 30))
    with pytest.raises(ValueError, match="1-D class labels"):
        fast(TabularMLPClassifier).fit(X, np.zeros((30, 2)))


def test_non_numeric_regression_target_is_an_error():
    X = np.random.default_rng(0).normal(size=(30, 2))
    with pytest.raises(ValueError, match="numeric"):
        fast(TabularMLPRegressor).fit(X, np.array(["a", "b", "c"] * 10))


def test_length_mismatch_is_an_error():
    X = np.random.default_rng(0).normal(size=(30, 2))
    with pytest.raises(ValueError, match="same number of samples"):
        fast(TabularMLPRegressor).fit(X, np.arange(29.0))


def test_multi_output_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    Y = np.column_stack([X[:, 0], 10.0 * X[:, 1] - 50.0])
    reg = fast(TabularMLPRegressor, max_epochs=30).fit(X, Y)
    assert reg.n_outputs_ == 2
    pred = reg.predict(X)
    assert pred.shape == (120, 2)
    assert reg.score(X, Y) > 0.5


def test_targets_are_standardised_on_the_training_rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = 1000.0 + 50.0 * X[:, 0]
    reg = fast(TabularMLPRegressor, validation_fraction=None).fit(X, y)
    np.testing.assert_allclose(reg.target_mean_, [y.mean()])
    np.testing.assert_allclose(reg.target_scale_, [y.std()])
    np.testing.assert_array_equal(reg.target_min_, [y.min()])
    np.testing.assert_array_equal(reg.target_max_, [y.max()])
    assert reg.validation_scores_ is None
    assert reg.best_epoch_ == reg.n_iter_ == FAST["max_epochs"]


def test_predictions_are_clipped_to_the_training_range():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 1))
    y = 3.0 * X[:, 0]
    reg = fast(TabularMLPRegressor, max_epochs=30).fit(X, y)
    far = np.array([[-1e3], [1e3]])
    pred = reg.predict(far)
    assert y.min() <= pred.min() and pred.max() <= y.max()
    unclipped = fast(TabularMLPRegressor, max_epochs=30, clip_predictions=False)
    raw = unclipped.fit(X, y).predict(far)
    np.testing.assert_array_equal(np.clip(raw, y.min(), y.max()), pred)


def test_constant_target():
    X = np.random.default_rng(0).normal(size=(40, 2))
    reg = fast(TabularMLPRegressor).fit(X, np.full(40, 7.0))
    np.testing.assert_array_equal(reg.predict(X), 7.0)


# --------------------------------------------------------------------- weights
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_integer_weights_are_repetitions(cls):
    X, labels, target = make_frame(n=60)
    y = labels if cls is TabularMLPClassifier else target
    w = np.random.default_rng(1).integers(0, 4, size=len(X))
    weighted = fast(cls).fit(X, y, sample_weight=w)
    rows = np.repeat(np.arange(len(X)), w)
    repeated = fast(cls).fit(X.iloc[rows], y[rows])
    method = "predict_proba" if cls is TabularMLPClassifier else "predict"
    np.testing.assert_allclose(
        getattr(weighted, method)(X), getattr(repeated, method)(X), rtol=1e-7
    )


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_row_order_does_not_change_the_model(cls):
    X, labels, target = make_frame(n=80)
    y = labels if cls is TabularMLPClassifier else target
    order = np.random.default_rng(0).permutation(len(X))
    a = fast(cls).fit(X, y)
    b = fast(cls).fit(X.iloc[order], y[order])
    np.testing.assert_array_equal(a.params_, b.params_)


def test_class_weight_balanced_equals_its_sample_weights():
    X, labels, _ = make_frame()
    w = np.random.default_rng(0).random(len(X))
    by_class = fast(TabularMLPClassifier, class_weight="balanced")
    by_class.fit(X, labels, sample_weight=w)
    classes, codes = np.unique(labels, return_inverse=True)
    totals = np.bincount(codes, weights=w)
    balanced = w * (totals.sum() / (len(classes) * totals))[codes]
    by_rows = fast(TabularMLPClassifier).fit(X, labels, sample_weight=balanced)
    np.testing.assert_allclose(by_class.predict_proba(X), by_rows.predict_proba(X))


def test_class_weight_dict():
    X, labels, _ = make_frame()
    heavy = fast(TabularMLPClassifier, class_weight={"yes": 100.0}, max_epochs=20)
    assert (heavy.fit(X, labels).predict(X) == "yes").mean() > (labels == "yes").mean()
    with pytest.raises(ValueError, match="not classes of y"):
        fast(TabularMLPClassifier, class_weight={"maybe": 2.0}).fit(X, labels)


@pytest.mark.parametrize(
    "weights, match",
    [
        (-np.ones(30), "Negative"),
        (np.zeros(30), "non-zero"),
        (np.ones(29), "shape"),
        (np.r_[np.ones(15), np.zeros(15)], "at least 2 classes"),
    ],
    ids=["negative", "zero", "length", "one-class"],
)
def test_bad_sample_weight(weights, match):
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.r_[np.zeros(15), np.ones(15)]
    with pytest.raises(ValueError, match=match):
        fast(TabularMLPClassifier).fit(X, y, sample_weight=weights)


# ------------------------------------------------------------ fitted state
def test_failed_fit_leaves_the_model_as_it_was():
    X, labels, _ = make_frame()
    clf = fast(TabularMLPClassifier).fit(X, labels)
    before = clf.predict_proba(X)
    state = dict(clf.__dict__)
    with pytest.raises(ValueError):
        clf.fit(X.iloc[:, :2], np.full(len(X), "yes"))
    assert clf.__dict__.keys() == state.keys()
    assert all(clf.__dict__[k] is v for k, v in state.items())
    np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_same_seed_same_model_and_float64():
    X, labels, _ = make_frame()
    a = fast(TabularMLPClassifier).fit(X, labels)
    b = fast(TabularMLPClassifier).fit(X, labels)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.params_.dtype == np.float32
    c = fast(TabularMLPClassifier, dtype="float64").fit(X, labels)
    assert c.params_.dtype == np.float64


def test_curves_and_epochs():
    X, labels, _ = make_frame(n=300)
    clf = fast(TabularMLPClassifier).fit(X, labels)
    assert clf.n_iter_ == len(clf.loss_curve_) == FAST["max_epochs"]
    assert len(clf.validation_scores_) == FAST["max_epochs"]
    assert 1 <= clf.best_epoch_ <= clf.n_iter_
    best = np.flatnonzero(clf.validation_scores_ == np.min(clf.validation_scores_))
    assert clf.best_epoch_ == best[-1] + 1  # the last best epoch


def test_too_few_rows_to_validate_on():
    # 0.2 of 200 rows holds out 40 < 50: every row trains, the last epoch is kept
    X, labels, _ = make_frame(n=200)
    clf = fast(TabularMLPClassifier).fit(X, labels)
    assert clf.validation_scores_ is None
    assert clf.best_epoch_ == clf.n_iter_


def test_categorical_features_by_name_index_and_mask():
    X, labels, _ = make_frame()
    X = X.assign(count=X["count"].astype(float))
    mask = np.array([False, True, False, True, True])
    by_mask = fast(TabularMLPClassifier, categorical_features=mask).fit(X, labels)
    by_name = fast(
        TabularMLPClassifier, categorical_features=["count", "colour", "city"]
    )
    by_index = fast(TabularMLPClassifier, categorical_features=[1, 3, 4])
    for other in (by_name, by_index):
        other.fit(X, labels)
        np.testing.assert_array_equal(other.is_categorical_, mask)
        np.testing.assert_array_equal(other.params_, by_mask.params_)


# ------------------------------------------------------------- what it is not
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_no_partial_fit(cls):
    est = cls()
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError, match="no partial_fit"):
        est.partial_fit(None, None)
    with pytest.raises(ValueError, match="warm_start"):
        est.set_params(warm_start=True)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_to_onnx_raises_type_error(cls):
    from sk_scratchnet import to_onnx

    X, labels, target = make_frame(missing=False)
    est = fast(cls).fit(X, labels if cls is TabularMLPClassifier else target)
    with pytest.raises(TypeError, match=r"to_onnx cannot export .*no converter"):
        to_onnx(est)


# ------------------------------------------------------- verbose and callbacks
def test_verbose_prints_every_epoch(capsys):
    X, labels, _ = make_frame(n=300)
    fast(TabularMLPClassifier, max_epochs=3, verbose=True).fit(X, labels)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "Epoch 1/3",
        "Epoch 2/3",
        "Epoch 3/3",
    ]
    assert all("loss = " in line and "validation score = " in line for line in lines)


class Recorder:
    """A FitCallback that counts epochs and may stop training."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.epochs = 0
        self.fitted = []
        self.max_subtasks = None

    def setup(self, estimator, context):
        self.max_subtasks = context.max_subtasks

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None, X=None):
        if context.task_name != "epoch":
            return False
        self.epochs += 1
        self.fitted.append(fitted_estimator.predict(X))
        return self.stop_after is not None and self.epochs >= self.stop_after

    def teardown(self, estimator, context):
        pass


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_callbacks_see_every_epoch_and_can_stop(cls):
    pytest.importorskip("sklearn.callback")
    X, labels, target = make_frame()
    y = labels if cls is TabularMLPClassifier else target
    recorder = Recorder()
    est = fast(cls).set_callbacks(recorder).fit(X, y)
    assert recorder.max_subtasks == recorder.epochs == FAST["max_epochs"]
    assert all(p.shape == (len(X),) for p in recorder.fitted)
    assert not hasattr(est, "_callback_fit_ctx")
    stopper = Recorder(stop_after=3)
    stopped = fast(cls).set_callbacks(stopper).fit(X, y)
    assert stopped.n_iter_ == len(stopped.loss_curve_) == 3


def test_progress_bar_over_the_default_256_epochs():
    callback = pytest.importorskip("sklearn.callback")
    pytest.importorskip("rich")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    recorder = Recorder()
    clf = TabularMLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    clf.set_callbacks(callback.ProgressBar(), recorder).fit(X, y)
    assert clf.n_iter_ == recorder.epochs == recorder.max_subtasks == 256


def test_scoring_monitor():
    callback = pytest.importorskip("sklearn.callback")
    X, labels, _ = make_frame()
    monitor = callback.ScoringMonitor(scoring="accuracy")
    fast(TabularMLPClassifier).set_callbacks(monitor).fit(X, labels)
    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    assert len(epochs) == FAST["max_epochs"]
    assert all(0.0 <= row["accuracy"] <= 1.0 for row in epochs)
