"""The label codec: class labels to the network's targets and back.

A :class:`LabelCodec` owns ``classes_``, the kind of target (``'binary'``,
``'multiclass'`` or ``'multilabel'``), the encoding of labels as the network's
bool targets ``Y``, the decoding of probabilities into labels, probabilities
from raw scores (through the head of its loss), the row weights of
``class_weight`` with the class totals that ``'balanced'`` accumulates over
``partial_fit`` calls, and the targets and accuracy of a validation set.  The
classifier and the ONNX export ask it rather than testing ``out_activation_``.

A codec is never changed in place: what changes (the class totals) gives a new
codec, so that a failed fit that drops its new codec leaves the old one intact.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import unique_labels

from sk_scratchnet._checks import check_weighted_classes, checked_target_type
from sk_scratchnet._devices import from_host, to_host
from sk_scratchnet._heads import Head, get_head
from sk_scratchnet._namespace import foreign_ops, ops_for


def plain_labels(y):
    """``(labels, inverse)`` of 1-D class labels of one plain dtype, else ``None``.

    Covers the common case (integers, bools, strings, integral floats), where
    ``type_of_target`` can only say ``'binary'`` or ``'multiclass'``; anything
    else (objects, non-integral floats, 2-D indicators) returns ``None`` and
    goes through scikit-learn's checks and their error messages.
    """
    if y.ndim != 1 or y.dtype.kind not in "biuUf":
        return None
    labels, inverse = np.unique(y, return_inverse=True)
    if labels.dtype.kind == "f" and not np.array_equal(labels, labels.astype(int)):
        return None  # continuous: let scikit-learn raise its error
    if labels.dtype.kind == "U":
        # as unique_labels returns them: the narrowest string dtype
        labels = np.asarray(labels.tolist())
    return labels, inverse


def _fitted_binarizer(labels):
    """Return the ``LabelBinarizer`` that ``fit`` on ``labels`` would give.

    ``labels`` are the sorted distinct 1-D labels of a ``'binary'`` or
    ``'multiclass'`` target; setting the fitted attributes directly saves the
    target checks that were already done.
    """
    binarizer = LabelBinarizer()
    binarizer.y_type_ = "multiclass" if len(labels) > 2 else "binary"
    binarizer.sparse_input_ = False
    binarizer.classes_ = labels
    return binarizer


def codes_in(classes, labels):
    """Index of each of ``labels`` in sorted ``classes``, or ``None`` if one is not."""
    try:
        codes = np.searchsorted(classes, labels)
    except TypeError:  # labels of another kind than the classes
        return None
    if (codes >= len(classes)).any():
        return None
    if not np.array_equal(classes[codes], labels):
        return None
    return codes


def one_hot(codes, n_classes):
    """Bool targets of class codes: one column per class, one for two classes."""
    if n_classes == 2:
        return (codes == 1)[:, None]
    Y = np.zeros((codes.shape[0], n_classes), dtype=bool)
    Y[np.arange(codes.shape[0]), codes] = True
    return Y


class LabelCodec:
    """Class labels, their encoding and decoding, and the ``'balanced'`` totals.

    Parameters
    ----------
    binarizer : sklearn.preprocessing.LabelBinarizer
        Fitted on the classes (or the multilabel indicator matrix).
    class_totals : ndarray of shape (n_classes,) or None
        Sums of the sample weights per class seen by ``partial_fit`` so far
        (``class_weight='balanced'``).

    Attributes
    ----------
    kind : {'binary', 'multiclass', 'multilabel'}
        The kind of target.
    loss : {'log_loss', 'binary_log_loss'}
        The loss of the network's head.
    """

    def __init__(self, binarizer, class_totals=None):
        self.binarizer = binarizer
        self.class_totals = class_totals
        y_type = binarizer.y_type_
        # 'binary', 'multiclass' or 'multilabel'
        self.kind = "multilabel" if y_type.startswith("multilabel") else y_type
        # the loss of the network's head
        self.loss = "log_loss" if self.kind == "multiclass" else "binary_log_loss"

    # ---------------------------------------------------------------- building
    @classmethod
    def from_plain_labels(cls, seen):
        """Return the codec of sorted distinct 1-D labels (binary or multiclass)."""
        return cls(_fitted_binarizer(seen)).checked()

    @classmethod
    def fit(cls, y):
        """Return the codec of any target ``y`` accepted by ``LabelBinarizer``."""
        return cls(LabelBinarizer().fit(y)).checked()

    @classmethod
    def for_partial_fit(cls, y, y_type, classes):
        """Return the codec of the first call of ``partial_fit``."""
        if y_type.startswith("multilabel"):
            return cls.fit(y)
        if classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        classes = np.asarray(classes)
        if classes.ndim != 1:
            raise ValueError(
                "classes must be a 1-D array of class labels, got shape "
                f"{classes.shape}."
            )
        return cls.fit(classes)

    def checked(self):
        """Return the codec after checking that it has at least two classes."""
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has only one class ({self.classes_.tolist()!r}); a classifier "
                "needs samples of at least 2 classes."
            )
        return self

    # -------------------------------------------------------------- describing
    @property
    def classes_(self):
        """The class labels (sorted), or the label columns for multilabel."""
        return self.binarizer.classes_

    def head(self) -> Head:
        """Return the output head of :attr:`loss`."""
        return get_head(self.loss)

    # --------------------------------------------------------------- encoding
    def encode(self, y):
        """Bool targets ``Y`` of labels ``y`` (scikit-learn's encoding)."""
        # Kept as bool (1 byte per entry, like MLPClassifier); batches are cast
        # to the network's dtype as they are used.
        return self.binarizer.transform(y).astype(bool)

    def encode_plain(self, y, seen, inverse):
        """Bool targets of 1-D plain labels ``y`` given by :func:`plain_labels`."""
        codes = codes_in(self.classes_, seen)
        if codes is None:  # labels outside classes_: scikit-learn's encoding
            return self.encode(y)
        return one_hot(codes[inverse], len(self.classes_))

    def check_known(self, y, seen, *, incremental, warm_start, classes):
        """Raise if ``y`` (with label set ``seen``) does not fit ``classes_``."""
        if incremental and classes is not None:
            given = np.unique(np.asarray(classes))
            if not np.array_equal(given, np.unique(self.classes_)):
                raise ValueError(
                    f"`classes={given.tolist()!r}` is not the same as on the "
                    f"first call to partial_fit ({self.classes_.tolist()!r})."
                )
        known = set(self.classes_.tolist())
        if warm_start and not incremental:
            if seen != known:
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes "
                    f"as in the previous call to fit. Previously got "
                    f"{self.classes_}, `y` has {unique_labels(y)}"
                )
        elif not seen <= known:
            raise ValueError(
                "`y` has classes not in `self.classes_`. `self.classes_` has "
                f"{self.classes_}. 'y' has {unique_labels(y)}."
            )

    # ----------------------------------------------------------- class weights
    def class_weights(self, class_weight, y, sample_weight, *, incremental, resume):
        """``(per-row factors, codec)`` of ``class_weight`` for labels ``y``.

        ``'balanced'`` is ``total / (n_classes * class_total)`` where the totals
        are sums of sample weights, so that weighting a row equals repeating it;
        in ``partial_fit`` the totals accumulate over the calls so far (from
        zero unless ``resume``), and the returned codec holds them.
        """
        if y.ndim != 1:  # multilabel: scikit-learn's per-output rule
            if incremental and class_weight == "balanced":
                raise ValueError(
                    "class_weight='balanced' is not supported by partial_fit for "
                    "multilabel targets; pass sample_weight instead."
                )
            return compute_sample_weight(class_weight, y), self
        classes = self.classes_
        codes = np.searchsorted(classes, y)
        n_classes = len(classes)
        codec = self
        if class_weight == "balanced":
            totals = np.bincount(codes, weights=sample_weight, minlength=n_classes)
            if incremental:
                before = self.class_totals
                if before is None or not resume:
                    before = np.zeros(n_classes)
                totals = before + totals
                codec = LabelCodec(self.binarizer, totals)
            seen = totals > 0
            per_class = np.zeros(n_classes)
            per_class[seen] = totals.sum() / (seen.sum() * totals[seen])
            return per_class[codes], codec
        unknown = [c for c in class_weight if c not in set(classes.tolist())]
        if unknown:
            raise ValueError(
                f"class_weight has labels {unknown} that are not classes of y "
                f"({classes.tolist()})."
            )
        per_class = np.array([float(class_weight.get(c, 1.0)) for c in classes])
        return per_class[codes], codec

    def training_weights(self, weights, y, class_weight, dtype, *, incremental, resume):
        """``(row weights, codec)``: ``weights`` times ``class_weight``'s, checked.

        ``weights`` are the checked sample weights (``None``: rows count the
        same) of labels ``y``; the codec holds the ``'balanced'`` totals of
        ``partial_fit`` (see :meth:`class_weights`).
        """
        codec = self
        if class_weight is not None:
            cw, codec = self.class_weights(
                class_weight, y, weights, incremental=incremental, resume=resume
            )
            cw = cw.astype(dtype)
            weights = cw if weights is None else weights * cw
        if weights is not None and not weights.any():
            raise ValueError(
                "Sample weights must contain at least one non-zero number "
                "(after applying class_weight)."
            )
        if weights is not None and not incremental and y.ndim == 1:
            check_weighted_classes(y, weights)
        return weights, codec

    # -------------------------------------------------------- validation set
    def validation_targets(self, y_val, dtype):
        """Targets ``Y_val`` (of ``dtype``) of validation labels, all known classes."""
        unknown = np.setdiff1d(unique_labels(y_val), self.classes_)
        if y_val.ndim == 1 and len(unknown):
            raise ValueError(f"y_val has classes not seen in y: {unknown}.")
        return self.binarizer.transform(y_val).astype(dtype)

    def accuracy_metric(self, y_val, w_val):
        """``metric(raw_scores)``: the accuracy of the labels the scores predict."""

        def accuracy(score):
            labels = self.labels_from_proba(self.proba_from_scores(score))
            return accuracy_score(y_val, to_host(labels), sample_weight=w_val)

        return accuracy

    # --------------------------------------------------------------- decoding
    def proba_from_scores(self, score, log=False):
        """Probabilities (or their logs) of raw scores, columns as ``classes_``."""
        if self.kind == "binary":
            # sigma(-z) rather than 1 - sigma(z): no cancellation to exact zeros,
            # so that log(predict_proba) matches predict_log_proba.
            score = ops_for(score).hstack([-score, score])
        head = self.head()
        return head.log_link(score) if log else head.link(score)

    def labels_from_proba(self, proba):
        """Labels of probabilities (the 0/1 indicator matrix for multilabel)."""
        multilabel = self.kind == "multilabel"
        ops = foreign_ops(proba)
        if ops is None:
            if multilabel:
                return self.binarizer.inverse_transform(proba)
            return self.classes_[np.argmax(proba, axis=1)]
        # Labels live on the host (they may be strings); numeric labels come
        # back in the namespace and on the device of the probabilities.
        if multilabel:
            labels = self.binarizer.inverse_transform(to_host(proba))
            return from_host(labels, like=proba)
        index = ops.argmax(proba, axis=1)
        if self.classes_.dtype.kind not in "biuf":  # strings stay on the host
            return self.classes_[to_host(index)]
        return ops.take(from_host(self.classes_, like=proba), index)


def target_codec(y, *, fitted, incremental, first_pass, classes, warm_start):
    """Return ``(codec, Y)`` for class labels ``y`` (1-D or 2-D indicators).

    ``fitted`` is the codec of the previous fit (``None`` before the first):
    a first ``fit`` builds a new codec, the first ``partial_fit`` builds one from
    ``classes``, and later calls check ``y`` against the fitted classes.
    """
    labels = plain_labels(y)
    if labels is not None:
        # 1-D labels of one plain dtype: one np.unique gives their type, the
        # classes and every row's code (scikit-learn's checks would find them
        # again in each of type_of_target, unique_labels and LabelBinarizer).
        seen, inverse = labels
        if first_pass and not incremental:
            codec = LabelCodec.from_plain_labels(seen)
        elif incremental and fitted is None:
            codec = LabelCodec.for_partial_fit(y, "binary", classes)
        else:
            codec = fitted
            codec.check_known(
                y,
                set(seen.tolist()),
                incremental=incremental,
                warm_start=warm_start,
                classes=classes,
            )
        return codec, codec.encode_plain(y, seen, inverse)
    y_type = checked_target_type(y)
    if y_type == "multiclass-multioutput":
        raise ValueError(
            "Multiclass-multioutput targets are not supported; y must be 1-D "
            "class labels or a 2-D 0/1 multilabel indicator matrix."
        )
    if incremental and fitted is None:
        codec = LabelCodec.for_partial_fit(y, y_type, classes)
    elif first_pass and not incremental:
        codec = LabelCodec.fit(y)
    else:
        codec = fitted
        codec.check_known(
            y,
            set(unique_labels(y)),
            incremental=incremental,
            warm_start=warm_start,
            classes=classes,
        )
    return codec, codec.encode(y)
