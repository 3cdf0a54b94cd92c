"""The label codec (sk_scratchnet._labels): classes, encoding, decoding, totals."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.preprocessing import LabelBinarizer

from sk_scratchnet._labels import LabelCodec, target_codec


def _codec(y, **kwargs):
    return target_codec(
        np.asarray(y),
        fitted=None,
        incremental=False,
        first_pass=True,
        classes=None,
        warm_start=False,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("y", "kind"),
    [
        (["b", "a", "b"], "binary"),
        ([2, 0, 1, 2], "multiclass"),
        ([[0, 1], [1, 1], [1, 0]], "multilabel"),
    ],
)
def test_the_codec_encodes_as_label_binarizer(y, kind):
    codec, Y = _codec(y)
    reference = LabelBinarizer().fit(y)
    assert codec.kind == kind
    assert_array_equal(codec.classes_, reference.classes_)
    assert_array_equal(Y, reference.transform(y).astype(bool))
    assert Y.dtype == bool


def test_probabilities_and_labels_from_scores():
    codec, _ = _codec([0, 1, 2, 1])
    score = np.array([[0.0, 2.0, -1.0], [3.0, 0.0, 0.0]])
    proba = codec.proba_from_scores(score.copy())
    e = np.exp(score - score.max(axis=1, keepdims=True))
    assert_allclose(proba, e / e.sum(axis=1, keepdims=True), rtol=1e-12)
    assert_allclose(codec.proba_from_scores(score.copy(), log=True), np.log(proba))
    assert_array_equal(codec.labels_from_proba(proba), [1, 0])
    binary, _ = _codec(["no", "yes", "no"])
    proba = binary.proba_from_scores(np.array([[0.0], [2.0]]))
    assert_allclose(proba[:, 1], 1 / (1 + np.exp(-np.array([0.0, 2.0]))))
    assert_array_equal(binary.labels_from_proba(proba), ["no", "yes"])


def test_balanced_totals_accumulate_in_a_new_codec():
    codec, _ = _codec([0, 1, 1])
    y = np.array([0, 1, 1, 1])
    factors, first = codec.class_weights(
        "balanced", y, None, incremental=True, resume=False
    )
    assert_allclose(factors, [2.0, 2 / 3, 2 / 3, 2 / 3])
    assert codec.class_totals is None  # the codec itself is never changed
    assert_array_equal(first.class_totals, [1, 3])
    _, second = first.class_weights(
        "balanced", np.array([0, 0]), None, incremental=True, resume=True
    )
    assert_array_equal(second.class_totals, [3, 3])
    assert_array_equal(first.class_totals, [1, 3])


def test_unknown_labels_and_one_class_raise():
    codec, _ = _codec([0, 1, 2])
    with pytest.raises(ValueError, match="classes not in"):
        codec.check_known([3], {3}, incremental=True, warm_start=False, classes=None)
    with pytest.raises(ValueError, match="only one class"):
        LabelCodec.fit(np.array([4, 4]))


def test_training_weights_multiply_class_weights_and_check_them():
    codec, _ = _codec([0, 1, 2])
    y = np.array([0, 1, 2, 2])
    weights, same = codec.training_weights(
        np.array([1, 2, 1, 3], np.float32), y, {2: 0.5}, np.float32,
        incremental=False, resume=False,
    )  # fmt: skip
    assert same is codec
    assert weights.dtype == np.float32
    assert_array_equal(weights, [1.0, 2.0, 0.5, 1.5])
    assert codec.training_weights(
        None, y, None, np.float64, incremental=False, resume=False
    ) == (None, codec)
    with pytest.raises(ValueError, match=r"after applying class_weight"):
        codec.training_weights(
            None, y, {0: 0, 1: 0, 2: 0}, np.float64, incremental=False, resume=False
        )
    with pytest.raises(ValueError, match=r"zero for every class but \[2\]"):
        codec.training_weights(
            np.array([0.0, 0.0, 1.0, 1.0]), y, None, np.float64,
            incremental=False, resume=False,
        )  # fmt: skip


def test_validation_targets_and_accuracy_of_scores():
    codec, _ = _codec(["a", "b", "c"])
    Y_val = codec.validation_targets(np.array(["c", "a"]), np.float32)
    assert Y_val.dtype == np.float32
    assert_array_equal(Y_val, [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"y_val has classes not seen in y: \['d'\]"):
        codec.validation_targets(np.array(["a", "d"]), np.float64)
    accuracy = codec.accuracy_metric(np.array(["c", "a"]), np.array([1.0, 3.0]))
    assert accuracy(np.array([[0.0, 0.0, 5.0], [0.0, 5.0, 0.0]])) == 0.25
