"""Tests for course_utils.data: IDX parsing, checksums, the search order and its error messages, prepare/split."""
import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from course_utils import data
from course_utils.data import (
    ChecksumError,
    DataNotFoundError,
    IDXFormatError,
    load_fashion_mnist,
    load_mnist,
    parse_idx,
    prepare,
    read_idx,
    train_validation_split,
)

NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def idx_bytes(array):
    """Encode a uint8 array as an IDX file, written independently of the parser under test."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    return header + array.tobytes()


def synthetic_split(seed=0, n_train=12, n_test=5):
    rng = np.random.default_rng(seed)
    x_train = rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8)
    y_train = rng.integers(0, 10, size=n_train, dtype=np.uint8)
    x_test = rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8)
    y_test = rng.integers(0, 10, size=n_test, dtype=np.uint8)
    return x_train, y_train, x_test, y_test


def write_folder(folder, arrays, compress=True, sha256sums=True):
    """Write the four IDX files (gzipped or not) and optionally a SHA256SUMS file; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths, lines = [], []
    for name, array in zip(NAMES, arrays):
        raw = idx_bytes(array)
        path = folder / (name + ".gz" if compress else name)
        path.write_bytes(gzip.compress(raw) if compress else raw)
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}")
        paths.append(path)
    if sha256sums:
        (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    return paths


@pytest.fixture
def keras_calls():
    """The data sets Keras's loader was asked for, in order (see ``isolated`` and ``keras_returns``)."""
    return []


@pytest.fixture
def isolated(monkeypatch, tmp_path, keras_calls):
    """No NN_COURSE_DATA, no Debian folder, and a Keras that has nothing (it fails as offline; calls are recorded in
    ``keras_calls``): only what a test sets up is found."""
    monkeypatch.delenv("NN_COURSE_DATA", raising=False)
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", tmp_path / "no_debian")

    def keras_offline(dataset):
        keras_calls.append(dataset)
        raise OSError("no internet")

    monkeypatch.setattr(data, "_keras_load_data", keras_offline)
    return tmp_path


def keras_returns(monkeypatch, calls, arrays):
    """Make Keras's loader return ``arrays`` (as if its cache held them), recording each call in ``calls``."""
    def keras_load_data(dataset):
        calls.append(dataset)
        x_train, y_train, x_test, y_test = arrays
        return (x_train, y_train), (x_test, y_test)

    monkeypatch.setattr(data, "_keras_load_data", keras_load_data)


def assert_split_equal(result, arrays):
    (x_train, y_train), (x_test, y_test) = result
    for got, want in zip((x_train, y_train, x_test, y_test), arrays):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------ IDX parsing
def test_parse_idx_round_trip_and_native_uint8():
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    out = parse_idx(idx_bytes(a))
    assert out.shape == (2, 3, 4) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, a)
    out[0, 0, 0] = 7  # a writable copy, not a view of read-only bytes


def test_parse_idx_int32_big_endian():
    values = np.array([1, -2, 70000], dtype=">i4")
    raw = bytes([0, 0, 0x0C, 1]) + (3).to_bytes(4, "big") + values.tobytes()
    np.testing.assert_array_equal(parse_idx(raw), [1, -2, 70000])


@pytest.mark.parametrize("raw, match", [
    (b"\x00\x00", "too short"),
    (b"\x08\x03\x00\x00" + bytes(20), "magic number"),
    (bytes([0, 0, 0x08, 3]) + (2).to_bytes(4, "big"), "truncated header"),
    (idx_bytes(np.zeros((2, 3), np.uint8))[:-1], "truncated or corrupt"),
    (idx_bytes(np.zeros((2, 3), np.uint8)) + b"\x00", "truncated or corrupt"),
])
def test_parse_idx_rejects_bad_files(raw, match):
    with pytest.raises(IDXFormatError, match=match):
        parse_idx(raw)


def test_read_idx_truncated_gzip_is_a_clear_error(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    blob = gzip.compress(idx_bytes(np.ones((10, 28, 28), np.uint8)))
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(IDXFormatError, match="truncated or corrupt"):
        read_idx(path)


# ------------------------------------------------------------------ loading from folders
@pytest.mark.parametrize("compress", [True, False])
def test_load_from_data_dir_parses_synthetic_files(isolated, compress):
    arrays = synthetic_split()
    write_folder(isolated / "d" / "mnist", arrays, compress=compress)
    # data_dir may be the data set folder itself or its parent.
    assert_split_equal(load_mnist(isolated / "d" / "mnist", download=False), arrays)
    assert_split_equal(load_mnist(isolated / "d", download=False), arrays)


def test_env_var_is_used_and_each_data_set_has_its_own_subfolder(isolated, monkeypatch):
    mnist, fashion = synthetic_split(1), synthetic_split(2)
    write_folder(isolated / "d" / "mnist", mnist)
    write_folder(isolated / "d" / "fashion-mnist", fashion)
    monkeypatch.setenv("NN_COURSE_DATA", str(isolated / "d"))
    assert_split_equal(load_mnist(download=False), mnist)
    assert_split_equal(load_fashion_mnist(download=False), fashion)


def test_checksum_mismatch_is_an_error(isolated):
    arrays = synthetic_split()
    paths = write_folder(isolated / "mnist", arrays)
    tampered = gzip.compress(idx_bytes(arrays[0] ^ 1))
    paths[0].write_bytes(tampered)  # still a valid IDX file, but not the one SHA256SUMS describes
    with pytest.raises(ChecksumError, match="Checksum mismatch for .*train-images-idx3-ubyte.gz"):
        load_mnist(isolated / "mnist", download=False)


def test_file_missing_from_sha256sums_is_an_error(isolated):
    folder = isolated / "mnist"
    write_folder(folder, synthetic_split())
    sums = (folder / "SHA256SUMS").read_text().splitlines()
    (folder / "SHA256SUMS").write_text("\n".join(line for line in sums if "t10k-labels" not in line))
    with pytest.raises(ChecksumError, match="not listed"):
        load_mnist(folder, download=False)


def test_without_sha256sums_the_known_digests_are_checked(isolated):
    """Synthetic files are not MNIST: without SHA256SUMS the embedded digests catch that, verify=False allows it."""
    arrays = synthetic_split()
    write_folder(isolated / "mnist", arrays, sha256sums=False)
    with pytest.raises(ChecksumError, match="original mnist file"):
        load_mnist(isolated / "mnist", download=False)
    assert_split_equal(load_mnist(isolated / "mnist", download=False, verify=False), arrays)


def test_truncated_file_in_folder_is_an_error(isolated):
    paths = write_folder(isolated / "mnist", synthetic_split(), sha256sums=False)
    raw = idx_bytes(np.zeros((12, 28, 28), np.uint8))
    paths[0].write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(IDXFormatError, match="truncated"):
        load_mnist(isolated / "mnist", download=False, verify=False)


def test_mismatched_image_and_label_counts_are_an_error(isolated):
    x_train, y_train, x_test, y_test = synthetic_split()
    write_folder(isolated / "mnist", (x_train, y_train[:-1], x_test, y_test))
    with pytest.raises(IDXFormatError, match="12 train images but 11 train labels"):
        load_mnist(isolated / "mnist", download=False)


def test_keras_is_asked_last_and_only_when_downloads_are_allowed(isolated, monkeypatch, keras_calls):
    """Keras's loader (its own cache, else a download) comes after every place the course owns."""
    keras_arrays, own_arrays = synthetic_split(3), synthetic_split(4)
    keras_returns(monkeypatch, keras_calls, keras_arrays)
    assert_split_equal(load_mnist(), keras_arrays)  # Keras checks its own mnist.npz: nothing to check here
    assert keras_calls == ["mnist"]
    with pytest.raises(DataNotFoundError, match=r"skipped \(download=False\)"):
        load_mnist(download=False)
    write_folder(isolated / "own" / "mnist", own_arrays)
    monkeypatch.setenv("NN_COURSE_DATA", str(isolated / "own"))
    assert_split_equal(load_mnist(), own_arrays)
    assert keras_calls == ["mnist"], "Keras was asked although NN_COURSE_DATA has the data"


def test_fashion_from_debian_comes_before_keras(isolated, monkeypatch, keras_calls):
    keras_arrays, debian_arrays = synthetic_split(3), synthetic_split(4)
    keras_returns(monkeypatch, keras_calls, keras_arrays)
    assert_split_equal(load_fashion_mnist(verify=False), keras_arrays)
    write_folder(isolated / "debian", debian_arrays)
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", isolated / "debian")
    assert_split_equal(load_fashion_mnist(), debian_arrays)
    assert keras_calls == ["fashion-mnist"]


def test_fashion_from_keras_is_checked_against_the_original_digests(isolated, monkeypatch, keras_calls):
    """Keras does not check Fashion-MNIST: its arrays are checked as the IDX files they were read from."""
    arrays = synthetic_split(5)
    keras_returns(monkeypatch, keras_calls, arrays)
    with pytest.raises(ChecksumError, match=r"train-images-idx3-ubyte from keras.datasets.fashion_mnist.load_data\(\)"):
        load_fashion_mnist()
    assert_split_equal(load_fashion_mnist(verify=False), arrays)


def test_idx_bytes_is_the_inverse_of_parse_idx():
    for array in synthetic_split(6):
        assert data._idx_bytes(array) == idx_bytes(array)  # the test's own, independent encoder
        np.testing.assert_array_equal(parse_idx(data._idx_bytes(array)), array)
    with pytest.raises(ValueError, match="uint8"):
        data._idx_bytes(np.zeros(3, dtype=np.int32))


@pytest.mark.slow  # imports TensorFlow in a fresh process
def test_keras_reads_its_own_cache(tmp_path):
    """The real Keras, in a fresh process with KERAS_HOME set: it finds Fashion-MNIST in its cache, where this module
    never looks itself, and nothing is downloaded (no network needed)."""
    import subprocess
    import sys

    arrays = synthetic_split(7)
    write_folder(tmp_path / "keras_home" / "datasets" / "fashion-mnist", arrays, sha256sums=False)
    script = (
        "import sys, numpy as np\n"
        "from pathlib import Path\n"
        "from course_utils import data\n"
        "data.DEBIAN_FASHION_DIR = Path(sys.argv[1]) / 'no_debian'\n"
        "(a, b), (c, d) = data.load_fashion_mnist(verify=False)\n"
        "np.savez(Path(sys.argv[1]) / 'loaded.npz', a=a, b=b, c=c, d=d)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NN_COURSE_DATA"}
    env.update(KERAS_HOME=str(tmp_path / "keras_home"), PYTHONPATH=str(Path(data.__file__).parents[1]),
               TF_CPP_MIN_LOG_LEVEL="2", TF_ENABLE_ONEDNN_OPTS="0")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    with np.load(tmp_path / "loaded.npz") as loaded:
        assert_split_equal(((loaded["a"], loaded["b"]), (loaded["c"], loaded["d"])), arrays)


# ------------------------------------------------------------------ missing data
def test_missing_data_error_lists_every_place_and_how_to_get_it(isolated, monkeypatch, keras_calls):
    monkeypatch.setenv("NN_COURSE_DATA", str(isolated / "empty"))
    with pytest.raises(DataNotFoundError) as info:
        load_fashion_mnist(download=False)
    message = str(info.value)
    for expected in (
        str(isolated / "empty" / "fashion-mnist"), "(from NN_COURSE_DATA)",
        str(isolated / "no_debian"), "dataset-fashion-mnist",
        "keras.datasets.fashion_mnist.load_data()", "skipped (download=False)",
        "apt-get install -y dataset-fashion-mnist", "export NN_COURSE_DATA=",
    ):
        assert expected in message, f"{expected!r} missing from:\n{message}"
    assert ".keras" not in message, "Keras's cache is Keras's business: the message does not guess where it is"
    assert isinstance(info.value, FileNotFoundError) and keras_calls == []


def test_missing_mnist_names_the_missing_files(isolated):
    folder = isolated / "mnist"
    paths = write_folder(folder, synthetic_split())
    paths[1].unlink()
    with pytest.raises(DataNotFoundError, match=r"missing train-labels-idx1-ubyte\[\.gz\]") as info:
        load_mnist(folder, download=False)
    assert "export NN_COURSE_DATA=" in str(info.value)


def test_failed_download_is_reported(isolated, keras_calls):
    with pytest.raises(DataNotFoundError, match="failed: OSError: no internet"):
        load_mnist()
    assert keras_calls == ["mnist"]


# ------------------------------------------------------------------ prepare and split
def test_prepare_scales_flattens_and_one_hots():
    x = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    xp, yp = prepare(x, np.array([3]), one_hot=True, num_classes=4)
    assert xp.dtype == np.float32 and xp.shape == (1, 4)
    np.testing.assert_allclose(xp, [[0.0, 1.0, 0.2, 0.4]], rtol=1e-6)
    np.testing.assert_array_equal(yp, [[0, 0, 0, 1]])
    assert prepare(x, flatten=False).shape == (1, 2, 2)
    _, sparse = prepare(x, np.array([3], np.uint8))
    assert sparse.dtype == np.int64


@pytest.mark.parametrize("kwargs, error", [
    ({"y": np.array([1, 2])}, ValueError),
    ({"y": np.array([0.5])}, TypeError),
    ({"y": np.array([10])}, ValueError),
    ({"scale": 0}, ValueError),
])
def test_prepare_rejects_bad_input(kwargs, error):
    with pytest.raises(error):
        prepare(np.zeros((1, 2, 2), np.uint8), **kwargs)


def test_train_validation_split_is_seeded_stratified_and_disjoint():
    x = np.arange(1000).reshape(1000, 1)
    y = np.repeat(np.arange(10), 100)
    (x_tr, y_tr), (x_val, y_val) = train_validation_split(x, y, validation_size=200, seed=1)
    assert len(x_val) == 200 and len(x_tr) == 800
    np.testing.assert_array_equal(np.bincount(y_val), np.full(10, 20))
    assert not set(x_tr.ravel()) & set(x_val.ravel())
    np.testing.assert_array_equal(y_val, y[x_val.ravel()])
    (_, _), (x_val2, _) = train_validation_split(x, y, validation_size=200, seed=1)
    np.testing.assert_array_equal(x_val, x_val2)


# ------------------------------------------------------------------ the real data
@pytest.mark.skipif(not os.environ.get("NN_COURSE_DATA"), reason="NN_COURSE_DATA is not set")
def test_real_mnist_from_nn_course_data():
    (x_train, y_train), (x_test, y_test) = load_mnist(download=False)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == y_train.dtype == np.uint8
    # The published class counts of MNIST.
    np.testing.assert_array_equal(np.bincount(y_train), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    np.testing.assert_array_equal(np.bincount(y_test), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])


@pytest.mark.skipif(not data.DEBIAN_FASHION_DIR.is_dir(), reason="dataset-fashion-mnist is not installed")
def test_real_fashion_mnist_from_debian_package(monkeypatch):
    monkeypatch.delenv("NN_COURSE_DATA", raising=False)
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(download=False)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    # The arrays written back as IDX are the original files: what the check of Keras's arrays relies on.
    for stem, array in zip(NAMES, (x_train, y_train, x_test, y_test)):
        assert hashlib.sha256(data._idx_bytes(array)).hexdigest() == data._KNOWN_SHA256["fashion-mnist"][stem]
    np.testing.assert_array_equal(np.bincount(y_train), np.full(10, 6000))
    np.testing.assert_array_equal(np.bincount(y_test), np.full(10, 1000))
