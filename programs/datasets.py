"""MNIST and Fashion-MNIST for the example programs, read from their IDX files; no downloads.

Where the files are looked for, under --data_dir (default ./data):

    <data_dir>/MNIST/raw/train-images-idx3-ubyte[.gz]         (what torchvision saves)
    <data_dir>/FashionMNIST/raw/train-images-idx3-ubyte[.gz]
    <data_dir>/mnist/MNIST/raw/...                            (seed 000's root="./mnist/")
    <data_dir>/train-images-idx3-ubyte[.gz]                   (the four files directly in data_dir)

plus train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte beside it.

When they are not there, the programs fall back to scikit-learn's bundled digits (1,797 8x8
images of the digits 0-9, installed with scikit-learn), each pixel tripled to 24x24 and padded
to 28x28, so the networks are the same. The programs say on stdout which data they use.

Images come back as float32 arrays (N, 1, 28, 28) scaled to [0, 1], labels as int64 (N,).
numpy only; the programs turn the arrays into tensors.
"""

from __future__ import annotations

import gzip
import os
import struct
from dataclasses import dataclass

import numpy as np

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# torchvision's folder names, then the lower-case spellings people also use.
FOLDERS = {
    "mnist": ["MNIST/raw", "mnist/MNIST/raw", "MNIST", "mnist"],
    "fashion_mnist": ["FashionMNIST/raw", "fashion_mnist/FashionMNIST/raw", "FashionMNIST", "fashion-mnist",
                      "fashion_mnist"],
}

DIGITS_TEST_FRACTION = 0.2
DIGITS_SPLIT_SEED = 0  # the same train/test split for every run, whatever its --seed


@dataclass
class Data:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str          # "mnist", "fashion_mnist" or "digits"
    description: str   # one line for stdout: which data, where from, how many images

    @property
    def is_fallback(self) -> bool:
        return self.name == "digits"


def _open(path: str):
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def read_idx(path: str) -> np.ndarray:
    """One IDX file (the MNIST format): magic 0x00 0x00 <type> <ndim>, big-endian sizes, the data."""
    with _open(path) as f:
        magic = f.read(4)
        if len(magic) != 4 or magic[0] != 0 or magic[1] != 0 or magic[2] != 0x08:
            raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {magic!r})")
        ndim = magic[3]
        shape = struct.unpack(f">{ndim}I", f.read(4 * ndim))
        data = np.frombuffer(f.read(), dtype=np.uint8)
    expected = int(np.prod(shape))
    if data.size != expected:
        raise ValueError(f"{path}: {data.size} bytes of data, the header says {shape} ({expected})")
    return data.reshape(shape)


def _find(folder: str, stem: str) -> str | None:
    for name in (stem, stem + ".gz"):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None


def find_idx(data_dir: str, dataset: str) -> dict | None:
    """The four IDX files of `dataset` under data_dir, or None when any is missing."""
    folders = [os.path.join(data_dir, sub) for sub in FOLDERS[dataset]] + [data_dir]
    for folder in folders:
        found = {key: _find(folder, stem) for key, stem in FILES.items()}
        if all(found.values()):
            return found
    return None


def _limit(x, y, n, rng):
    if n is None or n <= 0 or n >= len(y):
        return x, y
    keep = np.sort(rng.choice(len(y), size=n, replace=False))
    return x[keep], y[keep]


def load_idx(paths: dict, train_stride: int = 1):
    x_train = read_idx(paths["train_images"])
    y_train = read_idx(paths["train_labels"]).astype(np.int64)
    x_test = read_idx(paths["test_images"])
    y_test = read_idx(paths["test_labels"]).astype(np.int64)
    if train_stride > 1:  # seed 000 trains on Subset(range(0, 60000, 5)): every 5th image
        x_train, y_train = x_train[::train_stride], y_train[::train_stride]

    def scale(x):
        return (x.astype(np.float32) / 255.0)[:, None, :, :]

    return scale(x_train), y_train, scale(x_test), y_test


def digits_28():
    """scikit-learn's digits as (N, 1, 28, 28) in [0, 1]: 8x8 -> 24x24 (each pixel 3x3) -> padded by 2.

    MNIST centres its digits in a 20x20 box inside 28x28; this keeps a similar margin.
    """
    from sklearn.datasets import load_digits  # bundled with scikit-learn: no download

    digits = load_digits()
    images = digits.images.astype(np.float32) / 16.0                  # (1797, 8, 8), values 0..16
    big = np.kron(images, np.ones((1, 3, 3), dtype=np.float32))        # (1797, 24, 24)
    big = np.pad(big, ((0, 0), (2, 2), (2, 2)))                        # (1797, 28, 28)
    return big[:, None, :, :], digits.target.astype(np.int64)


def load_digits_split():
    x, y = digits_28()
    order = np.random.default_rng(DIGITS_SPLIT_SEED).permutation(len(y))
    n_test = round(len(y) * DIGITS_TEST_FRACTION)
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def load(dataset: str, data_dir: str = "data", limit_train: int | None = None, limit_test: int | None = None,
         train_stride: int | None = None, seed: int = 0) -> Data:
    """The train and test sets of `dataset` ("mnist" or "fashion_mnist"), or the digits fallback.

    train_stride: keep every k-th training image (None: 1; the MNIST program passes seed 000's 5).
    limit_train / limit_test: keep a random subset of that many images (for tiny test runs).
    """
    if dataset not in FOLDERS:
        raise ValueError(f"unknown dataset {dataset!r} (have: {', '.join(FOLDERS)})")
    paths = find_idx(data_dir, dataset)
    if paths is not None:
        x_train, y_train, x_test, y_test = load_idx(paths, train_stride or 1)
        where = os.path.dirname(paths["train_images"])
        name = dataset
        label = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}[dataset]
        source = f"{label} from the IDX files in {where}"
        if (train_stride or 1) > 1:
            source += f", every {train_stride}th training image"
    else:
        x_train, y_train, x_test, y_test = load_digits_split()
        name = "digits"
        wanted = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}[dataset]
        source = (f"FALLBACK: scikit-learn digits (8x8 images upsampled to 28x28), not {wanted}: "
                  f"no {wanted} IDX files under {os.path.abspath(data_dir)}")
    rng = np.random.default_rng(seed)
    x_train, y_train = _limit(x_train, y_train, limit_train, rng)
    x_test, y_test = _limit(x_test, y_test, limit_test, rng)
    description = f"dataset: {source}; {len(y_train)} train / {len(y_test)} test images"
    return Data(x_train, y_train, x_test, y_test, name, description)


def write_idx(path: str, array: np.ndarray) -> None:
    """Write an unsigned-byte IDX file (gzip when path ends in .gz); used by the tests."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())
