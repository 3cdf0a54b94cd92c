"""Out-of-core training benchmark: partial_fit_chunks over a large np.memmap.

Writes a synthetic classification dataset of --size-gb (float32) to a memmap on
disk, block by block, then trains ScratchMLPClassifier chunk-wise for a few
epochs with ``partial_fit_chunks`` and prints the throughput (rows/s) of every
epoch and the accuracy on an in-memory held-out set. The file is deleted at
the end (also on error or Ctrl-C).

By default the file's pages are dropped from the page cache before every epoch
(``posix_fadvise(DONTNEED)``), so each epoch really streams the file from disk,
as it would for a dataset larger than memory; --keep-cache turns that off.

    python benchmarks/bench_out_of_core.py                 # 2 GB
    python benchmarks/bench_out_of_core.py --size-gb 0.5 --epochs 2
"""

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sk_scratchnet import ScratchMLPClassifier, partial_fit_chunks

N_CLASSES = 4
TEACHER_UNITS = 16


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=2.0, help="size of X")
    parser.add_argument("--n-features", type=int, default=32)
    parser.add_argument("--chunk-size", type=int, default=100_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--n-test", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--dir", default=tempfile.gettempdir(), help="where to write the memmap"
    )
    parser.add_argument(
        "--keep-cache",
        action="store_true",
        help="do not drop the file from the page cache before each epoch",
    )
    return parser.parse_args()


class Teacher:
    """A fixed random tanh network that labels Gaussian inputs (with noise)."""

    def __init__(self, n_features, rng):
        self.W1 = rng.normal(size=(n_features, TEACHER_UNITS)) / np.sqrt(n_features)
        self.W2 = rng.normal(size=(TEACHER_UNITS, N_CLASSES)) * 3.0

    def sample(self, n_rows, rng):
        X = rng.standard_normal(size=(n_rows, self.W1.shape[0]), dtype=np.float32)
        score = np.tanh(X @ self.W1) @ self.W2
        score += rng.gumbel(size=score.shape)  # label noise: Bayes rate < 1
        return X, np.argmax(score, axis=1).astype(np.int8)


def write_memmaps(folder, n_rows, n_features, teacher, rng, block=200_000):
    X_path, y_path = folder / "X.f32", folder / "y.i8"
    X = np.memmap(X_path, dtype=np.float32, mode="w+", shape=(n_rows, n_features))
    y = np.memmap(y_path, dtype=np.int8, mode="w+", shape=(n_rows,))
    for start in range(0, n_rows, block):
        stop = min(start + block, n_rows)
        X[start:stop], y[start:stop] = teacher.sample(stop - start, rng)
    X.flush()
    y.flush()
    del X, y
    return X_path, y_path


def drop_from_page_cache(*paths):
    if not hasattr(os, "posix_fadvise"):
        return False
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return True


def main():
    args = parse_args()
    rng = np.random.default_rng(args.seed)
    teacher = Teacher(args.n_features, rng)
    row_bytes = 4 * args.n_features
    n_rows = int(args.size_gb * 1e9) // row_bytes
    X_test, y_test = teacher.sample(args.n_test, rng)

    folder = Path(tempfile.mkdtemp(prefix="sk_scratchnet_ooc_", dir=args.dir))
    X_path = y_path = None
    try:
        t0 = time.perf_counter()
        X_path, y_path = write_memmaps(folder, n_rows, args.n_features, teacher, rng)
        t_write = time.perf_counter() - t0
        size_gb = n_rows * row_bytes / 1e9
        print(
            f"wrote X {n_rows:,} x {args.n_features} float32 = {size_gb:.2f} GB "
            f"(+ y {n_rows / 1e9:.2f} GB) to {folder} in {t_write:.1f} s "
            f"({size_gb / t_write * 1e3:.0f} MB/s)"
        )
        X = np.memmap(
            X_path, dtype=np.float32, mode="r", shape=(n_rows, args.n_features)
        )
        y = np.memmap(y_path, dtype=np.int8, mode="r", shape=(n_rows,))

        # Reading alone, for scale: how fast the disk streams the file.
        drop_from_page_cache(X_path, y_path)
        t0 = time.perf_counter()
        for start in range(0, n_rows, args.chunk_size):
            np.array(X[start : start + args.chunk_size])
        t_read = time.perf_counter() - t0
        print(
            f"read X once, block by block, no training: {t_read:.1f} s "
            f"({n_rows / t_read:,.0f} rows/s, {size_gb / t_read * 1e3:.0f} MB/s)"
        )

        clf = ScratchMLPClassifier(
            hidden_layer_sizes=(args.hidden,),
            solver="adam",
            batch_size=args.batch_size,
            random_state=args.seed,
        )
        shuffle_rng = np.random.RandomState(args.seed)
        total_time = 0.0
        for epoch in range(1, args.epochs + 1):
            dropped = not args.keep_cache and drop_from_page_cache(X_path, y_path)
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                partial_fit_chunks(
                    clf,
                    X,
                    y,
                    classes=np.arange(N_CLASSES),
                    chunk_size=args.chunk_size,
                    n_epochs=1,
                    random_state=shuffle_rng,
                )
            elapsed = time.perf_counter() - t0
            total_time += elapsed
            accuracy = clf.score(X_test, y_test)
            print(
                f"epoch {epoch}: {elapsed:6.1f} s  {n_rows / elapsed:>10,.0f} rows/s  "
                f"{size_gb / elapsed * 1e3:5.0f} MB/s  held-out accuracy "
                f"{accuracy:.4f}  (page cache {'dropped' if dropped else 'kept'})"
            )

        # The same network on a subsample that fits in memory, for scale.
        n_sub = min(n_rows, 200_000)
        reference = ScratchMLPClassifier(
            hidden_layer_sizes=(args.hidden,),
            batch_size=args.batch_size,
            max_iter=args.epochs,
            random_state=args.seed,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reference.fit(np.array(X[:n_sub]), np.array(y[:n_sub]))
        print(
            f"out-of-core: {n_rows * args.epochs:,} rows in {total_time:.1f} s = "
            f"{n_rows * args.epochs / total_time:,.0f} rows/s; held-out accuracy "
            f"{clf.score(X_test, y_test):.4f} (in-memory fit on the first "
            f"{n_sub:,} rows, same epochs: {reference.score(X_test, y_test):.4f})"
        )
        del X, y
    finally:
        for path in (X_path, y_path):
            if path is not None and path.exists():
                path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
