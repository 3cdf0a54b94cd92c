"""Tests for sk_scratchnet._heads: one output head per loss, keyed by its name."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sk_scratchnet._heads import HEADS, get_head, head_of_output

PAIRS = {
    "log_loss": "softmax",
    "binary_log_loss": "logistic",
    "squared_error": "identity",
    "poisson": "exp",
}


def _score(seed=0, shape=(5, 3)):
    return np.random.default_rng(seed).normal(size=shape)


def test_every_loss_has_its_canonical_output():
    assert {name: head.out_activation for name, head in HEADS.items()} == PAIRS
    for loss, out_activation in PAIRS.items():
        assert get_head(loss).loss == loss
        assert head_of_output(out_activation) is get_head(loss)


@pytest.mark.parametrize(
    "loss, reference",
    [
        ("log_loss", lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)),
        ("binary_log_loss", lambda z: 1 / (1 + np.exp(-z))),
        ("squared_error", lambda z: z),
        ("poisson", np.exp),
    ],
)
def test_link_is_the_inverse_of_the_canonical_link(loss, reference):
    score = _score()
    assert_allclose(get_head(loss).link(score.copy()), reference(score), rtol=1e-13)


@pytest.mark.parametrize("loss", ["log_loss", "binary_log_loss"])
def test_log_link_of_classification_heads_is_the_log_of_the_link(loss):
    head = get_head(loss)
    score = _score(1)
    assert_allclose(
        head.log_link(score.copy()), np.log(head.link(score.copy())), rtol=1e-13
    )


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_regression_heads_have_no_log_link(loss):
    assert get_head(loss).log_link is None


def test_exp_link_works_in_place():
    score = _score(2)
    expected = np.exp(score)
    result = get_head("poisson").link(score)
    assert result is score
    assert_array_equal(score, expected)


@pytest.mark.parametrize("loss", sorted(PAIRS))
def test_loss_value_equals_the_fused_loss_and_leaves_score_alone(loss):
    rng = np.random.default_rng(3)
    score = rng.normal(size=(6, 3))
    Y = rng.uniform(size=(6, 3))
    if loss == "log_loss":
        Y = np.eye(3)[rng.integers(3, size=6)]
    row_scale = rng.uniform(0.1, 1.0, size=6)
    head = get_head(loss)
    before = score.copy()
    value = head.loss_value(score, Y, row_scale)
    assert_array_equal(score, before)
    dscore = np.empty_like(score)
    assert value == head.loss_and_dscore(score, Y, row_scale, dscore)
    assert np.isfinite(value) and value > 0


def test_unknown_loss_raises_and_lists_the_choices():
    with pytest.raises(
        ValueError,
        match=r"^Unknown loss 'hinge'; choose from \['binary_log_loss', 'log_loss', "
        r"'poisson', 'squared_error'\]\.$",
    ):
        get_head("hinge")


def test_unknown_output_activation_raises_and_lists_the_choices():
    with pytest.raises(
        ValueError,
        match=r"^Unknown output activation 'tanh'; choose from \['exp', 'identity', "
        r"'logistic', 'softmax'\]\.$",
    ):
        head_of_output("tanh")
