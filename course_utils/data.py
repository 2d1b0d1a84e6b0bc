"""MNIST and Fashion-MNIST loaders that work offline, check what they read, and fail with a helpful message.

Both loaders return exactly what ``keras.datasets.<name>.load_data()`` returns::

    (x_train, y_train), (x_test, y_test) = load_mnist()
    # x_train: (60000, 28, 28) uint8 images, y_train: (60000,) uint8 labels 0-9
    # x_test:  (10000, 28, 28) uint8 images, y_test:  (10000,) uint8 labels 0-9

Where the data is looked for, in this order (the first place that has the data wins):

1. the ``data_dir`` argument: a folder holding the four IDX files, or a folder holding ``mnist/`` /
   ``fashion-mnist/`` with the four files in it (an explicit folder without the data is an error);
2. the environment variable ``NN_COURSE_DATA``: a folder holding ``mnist/`` and/or ``fashion-mnist/``;
3. Fashion-MNIST only: ``/usr/share/datasets/fashion-mnist`` (Debian/Ubuntu package ``dataset-fashion-mnist``);
4. Keras: ``keras.datasets.mnist.load_data()`` / ``keras.datasets.fashion_mnist.load_data()``, which read Keras's own
   cache (wherever Keras keeps it: ``~/.keras/datasets``, ``$KERAS_HOME``, ...) and download only what it lacks
   (needs internet then). ``download=False`` skips this step, since Keras cannot be asked not to download.

These are the places this module owns; where Keras caches its downloads is Keras's business, so this module never
looks into Keras's folders itself.
If all of them fail, :class:`DataNotFoundError` lists every place looked at and how to get the data.

The four IDX files are ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
``t10k-labels-idx1-ubyte``, each either gzip-compressed (``.gz``, preferred when both exist) or uncompressed.

Checksums: when a folder holds a ``SHA256SUMS`` file (``sha256sum`` format), every file read from that folder must be
listed there and match. A folder without ``SHA256SUMS`` is checked against the digests of the original data sets
embedded below (SHA-256 of the *uncompressed* IDX content, so recompressed copies still pass).
Keras checks its own ``mnist.npz`` (and downloads it again on a mismatch); it does not check Fashion-MNIST, so the
arrays it returns are checked here against the same digests, as the IDX files they were read from.
A mismatch raises :class:`ChecksumError`; corrupt data is never used silently. ``verify=False`` switches the
checks off (for your own IDX files that are not MNIST).

Nothing is ever written into the repository; the Keras download writes only to the Keras cache.
"""
import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

__all__ = [
    "DataNotFoundError",
    "ChecksumError",
    "IDXFormatError",
    "read_idx",
    "load_mnist",
    "load_fashion_mnist",
    "prepare",
    "train_validation_split",
    "MNIST_CLASS_NAMES",
    "FASHION_MNIST_CLASS_NAMES",
]

ENV_VAR = "NN_COURSE_DATA"
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

MNIST_CLASS_NAMES = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

# The four files of each data set, in the order (x_train, y_train, x_test, y_test).
_IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

# SHA-256 of the uncompressed original IDX files. MNIST: the files whose MD5 the MNIST page publishes
# (6bbc9ace..., a25bea73..., 2646ac64..., 27ae3e4e...). Fashion-MNIST: the files of zalandoresearch/fashion-mnist
# as shipped by Debian's dataset-fashion-mnist (0.0~git20200523.55506a9-1).
_KNOWN_SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}

# IDX type codes (third byte of the magic number) -> big-endian NumPy dtypes.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class DataNotFoundError(FileNotFoundError):
    """The data set was found in none of the places looked at; the message says where it looked and what to do."""


class ChecksumError(ValueError):
    """A data file does not match its expected checksum (corrupt, truncated or a different file)."""


class IDXFormatError(ValueError):
    """A file is not a valid IDX file (bad magic number, wrong size, truncated gzip stream)."""


# --------------------------------------------------------------------------------------------------------------
# IDX parsing
# --------------------------------------------------------------------------------------------------------------
def _read_bytes(path):
    """Return the (decompressed) bytes of ``path``; ``.gz`` files are gunzipped. Raises IDXFormatError if broken."""
    path = Path(path)
    if path.suffix == ".gz":
        try:
            with gzip.open(path, "rb") as f:
                return f.read()
        except (EOFError, OSError, gzip.BadGzipFile) as exc:
            raise IDXFormatError(
                f"{path} is not a complete gzip file ({exc}). It is probably truncated or corrupt: "
                "delete it and download it again."
            ) from exc
    return path.read_bytes()


def parse_idx(data, name="<bytes>"):
    """Parse the bytes of an IDX file into a NumPy array.

    data: bytes of one uncompressed IDX file (magic number ``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian
    int32 sizes, then the values). Returns an array of shape (d1, ..., d_ndim); unsigned bytes come back as uint8.
    Raises IDXFormatError if the header is wrong or the number of values does not match the sizes.
    """
    if len(data) < 4:
        raise IDXFormatError(f"{name}: only {len(data)} bytes, too short for an IDX header (4 bytes expected).")
    zero0, zero1, type_code, ndim = data[0], data[1], data[2], data[3]
    if zero0 != 0 or zero1 != 0 or type_code not in _IDX_DTYPES or ndim == 0:
        raise IDXFormatError(
            f"{name}: bad IDX magic number {data[:4].hex()} (expected 0000 followed by a type code in "
            f"{sorted(hex(c) for c in _IDX_DTYPES)} and the number of dimensions). Is this an IDX file?"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IDXFormatError(f"{name}: truncated header, {len(data)} bytes but {header} needed for {ndim} sizes.")
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">i4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[type_code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise IDXFormatError(
            f"{name}: header says shape {shape} of {dtype.name} ({expected} bytes in all) but the file has "
            f"{len(data)} bytes. The file is truncated or corrupt: delete it and get it again."
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # native byte order, and a writable copy


def read_idx(path):
    """Read one IDX file (``.gz`` or uncompressed) into a NumPy array, e.g. (60000, 28, 28) uint8 for images."""
    return parse_idx(_read_bytes(path), name=str(path))


# --------------------------------------------------------------------------------------------------------------
# Checksums
# --------------------------------------------------------------------------------------------------------------
def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _read_sha256sums(path):
    """Parse a ``sha256sum``-style file into {file name: hex digest}."""
    sums = {}
    for lineno, line in enumerate(Path(path).read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 64:
            raise ChecksumError(f"{path}, line {lineno}: expected '<64 hex digits>  <file name>', got {line!r}.")
        digest, fname = parts
        sums[Path(fname.lstrip("*")).name] = digest.lower()
    return sums


# --------------------------------------------------------------------------------------------------------------
# Finding the data
# --------------------------------------------------------------------------------------------------------------
def _find_idx_files(folder):
    """Return the four IDX paths in ``folder`` (``.gz`` preferred), or None with a reason if any is missing."""
    folder = Path(folder)
    if not folder.is_dir():
        return None, "no such folder"
    paths, missing = [], []
    for stem in _IDX_FILES:
        for candidate in (folder / f"{stem}.gz", folder / stem):
            if candidate.is_file():
                paths.append(candidate)
                break
        else:
            missing.append(f"{stem}[.gz]")
    if missing:
        return None, "missing " + ", ".join(missing)
    return paths, None


def _load_idx_folder(folder, dataset, verify):
    """Load the four IDX files of ``folder`` after checking them; returns ((x_train, y_train), (x_test, y_test))."""
    paths, _ = _find_idx_files(folder)
    sums_file = Path(folder) / "SHA256SUMS"
    sums = _read_sha256sums(sums_file) if verify and sums_file.is_file() else None
    arrays = []
    for stem, path in zip(_IDX_FILES, paths):
        if sums is not None:
            if path.name not in sums:
                raise ChecksumError(
                    f"{path} is not listed in {sums_file}, so it cannot be verified. Add its line "
                    f"(`sha256sum {path.name} >> SHA256SUMS`) or remove the stray file."
                )
            actual = _sha256(path.read_bytes())
            if actual != sums[path.name]:
                raise ChecksumError(
                    f"Checksum mismatch for {path}: SHA-256 is {actual}, {sums_file} expects {sums[path.name]}. "
                    "The file is corrupt or was replaced; delete it and get the original again."
                )
        data = _read_bytes(path)
        if sums is None and verify:
            _check_known_digest(data, dataset, stem, str(path))
        arrays.append(parse_idx(data, name=str(path)))
    return _check_split(arrays, source=str(folder))


def _check_known_digest(data, dataset, stem, source):
    """Raise ChecksumError unless ``data`` (the uncompressed bytes of IDX file ``stem``) is the original file's."""
    expected = _KNOWN_SHA256[dataset][stem]
    actual = _sha256(data)
    if actual != expected:
        raise ChecksumError(
            f"Checksum mismatch for {source}: SHA-256 of its uncompressed content is {actual}, the original "
            f"{dataset} file has {expected}. The file is corrupt or a different data set; delete it and "
            "get the original again (or pass verify=False for your own IDX files)."
        )


def _idx_bytes(array):
    """The bytes of the uncompressed IDX file that holds the uint8 ``array`` (the inverse of :func:`parse_idx`)."""
    array = np.asarray(array)
    if array.dtype != np.uint8 or array.ndim == 0:
        raise ValueError(f"_idx_bytes writes uint8 arrays with at least one dimension; got {array.dtype} of shape "
                         f"{array.shape}.")
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">i4").tobytes()
    return header + np.ascontiguousarray(array).tobytes()


def _check_split(arrays, source):
    """Check shapes/dtypes/labels of (x_train, y_train, x_test, y_test) and return them in Keras's nesting."""
    x_train, y_train, x_test, y_test = arrays
    for x, y, split in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if x.ndim != 3 or x.dtype != np.uint8:
            raise IDXFormatError(f"{source}: {split} images should be (N, rows, cols) uint8, got {x.shape} {x.dtype}.")
        if y.ndim != 1 or y.dtype != np.uint8:
            raise IDXFormatError(f"{source}: {split} labels should be (N,) uint8, got {y.shape} {y.dtype}.")
        if len(x) != len(y):
            raise IDXFormatError(f"{source}: {len(x)} {split} images but {len(y)} {split} labels.")
        if y.size and y.max() > 9:
            raise IDXFormatError(f"{source}: {split} labels should be 0-9, found {int(y.max())}.")
    return (x_train, y_train), (x_test, y_test)


def _keras_load_data(dataset):
    """``keras.datasets.<dataset>.load_data()``: Keras's cache, or its download."""
    from course_utils.tf_utils import quiet_tensorflow

    _, keras = quiet_tensorflow()
    module = keras.datasets.mnist if dataset == "mnist" else keras.datasets.fashion_mnist
    return module.load_data()


def _load_with_keras(dataset, verify):
    """Load through Keras and check the arrays (Fashion-MNIST against the original files' digests)."""
    (x_train, y_train), (x_test, y_test) = _keras_load_data(dataset)
    arrays = [np.asarray(a) for a in (x_train, y_train, x_test, y_test)]
    source = f"keras.datasets.{_KERAS_NAMES[dataset]}.load_data()"
    split = _check_split(arrays, source=source)
    if verify and dataset == "fashion-mnist":  # Keras checks its mnist.npz itself, Fashion-MNIST not at all
        for stem, array in zip(_IDX_FILES, arrays):
            _check_known_digest(_idx_bytes(array), dataset, stem, f"{stem} from {source} (in Keras's cache)")
    return split


_KERAS_NAMES = {"mnist": "mnist", "fashion-mnist": "fashion_mnist"}


def _how_to_get(dataset):
    if dataset == "mnist":
        return (
            "How to get MNIST:\n"
            "  * with internet: load_mnist() downloads it with keras.datasets.mnist.load_data() (check your connection\n"
            "    or proxy if that failed above), or\n"
            "  * put the four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,\n"
            "    t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) in a folder <DATA>/mnist/ and\n"
            f"    `export {ENV_VAR}=<DATA>` (or pass load_mnist(data_dir='<DATA>/mnist')); add a SHA256SUMS\n"
            "    file (`sha256sum *.gz > SHA256SUMS`) to have them verified against it."
        )
    return (
        "How to get Fashion-MNIST:\n"
        "  * on Debian/Ubuntu: `sudo apt-get update && sudo apt-get install -y dataset-fashion-mnist`, or\n"
        "  * with internet: load_fashion_mnist() downloads it with keras.datasets.fashion_mnist.load_data(), or\n"
        "  * put the four IDX files (train-images-idx3-ubyte.gz, ..., t10k-labels-idx1-ubyte.gz) from\n"
        "    https://github.com/zalandoresearch/fashion-mnist in <DATA>/fashion-mnist/ and\n"
        f"    `export {ENV_VAR}=<DATA>`."
    )


def _load(dataset, data_dir, download, verify):
    looked = []  # (place, why it was not used)

    # 1. explicit folder: authoritative, so a miss is an error right away.
    if data_dir is not None:
        data_dir = Path(os.path.expanduser(str(data_dir)))
        for folder in (data_dir, data_dir / dataset):
            paths, why = _find_idx_files(folder)
            if paths is not None:
                return _load_idx_folder(folder, dataset, verify)
            looked.append((str(folder), why))
        raise DataNotFoundError(_not_found_message(dataset, looked, _how_to_get(dataset), "data_dir"))

    # 2. NN_COURSE_DATA
    env = os.environ.get(ENV_VAR)
    if env:
        folder = Path(os.path.expanduser(env)) / dataset
        paths, why = _find_idx_files(folder)
        if paths is not None:
            return _load_idx_folder(folder, dataset, verify)
        looked.append((f"{folder} (from {ENV_VAR})", why))
    else:
        looked.append((f"${ENV_VAR}", "not set"))

    # 3. Debian's dataset-fashion-mnist
    if dataset == "fashion-mnist":
        paths, why = _find_idx_files(DEBIAN_FASHION_DIR)
        if paths is not None:
            return _load_idx_folder(DEBIAN_FASHION_DIR, dataset, verify)
        looked.append((f"{DEBIAN_FASHION_DIR} (Debian package dataset-fashion-mnist)", why))

    # 4. Keras: its own cache, else its download
    keras_place = f"keras.datasets.{_KERAS_NAMES[dataset]}.load_data() (Keras's cache, else a download)"
    if not download:
        looked.append((keras_place, "skipped (download=False)"))
    else:
        try:
            return _load_with_keras(dataset, verify)
        except ChecksumError:
            raise
        except Exception as exc:  # no internet, proxy, disk full, ...: report it with everything else
            looked.append((keras_place, f"failed: {type(exc).__name__}: {exc}"))
    raise DataNotFoundError(_not_found_message(dataset, looked, _how_to_get(dataset)))


def _not_found_message(dataset, looked, how, origin=None):
    title = "MNIST" if dataset == "mnist" else "Fashion-MNIST"
    lines = [f"{title} was not found. Looked in:"]
    lines += [f"  - {place}: {why}" for place, why in looked]
    if origin == "data_dir":
        lines.append("The data_dir argument must be a folder holding the four IDX files, or one holding "
                     f"{dataset}/ with them.")
    lines.append(how)
    return "\n".join(lines)


def load_mnist(data_dir=None, *, download=True, verify=True):
    """Load MNIST: ((x_train, y_train), (x_test, y_test)) exactly like ``keras.datasets.mnist.load_data()``.

    x_train: (60000, 28, 28) uint8 images, y_train: (60000,) uint8 labels 0-9;
    x_test: (10000, 28, 28) uint8 images, y_test: (10000,) uint8 labels 0-9.

    Looks, in this order, in: ``data_dir`` (a folder with the four IDX files or with ``mnist/``);
    ``$NN_COURSE_DATA/mnist``; and finally asks ``keras.datasets.mnist.load_data()`` (Keras's cache, else a
    download) unless ``download=False``.
    Files are verified against the folder's ``SHA256SUMS`` if it has one, otherwise against the digests of the
    original files (``verify=False`` turns this off). Raises DataNotFoundError (where it looked, how to get the
    data), ChecksumError or IDXFormatError.
    """
    return _load("mnist", data_dir, download, verify)


def load_fashion_mnist(data_dir=None, *, download=True, verify=True):
    """Load Fashion-MNIST: ((x_train, y_train), (x_test, y_test)) like ``keras.datasets.fashion_mnist.load_data()``.

    Shapes and dtypes as in :func:`load_mnist`; the class names are ``FASHION_MNIST_CLASS_NAMES``.
    Looks, in this order, in: ``data_dir`` (a folder with the four IDX files or with ``fashion-mnist/``);
    ``$NN_COURSE_DATA/fashion-mnist``; ``/usr/share/datasets/fashion-mnist`` (``apt-get install
    dataset-fashion-mnist``); and finally asks ``keras.datasets.fashion_mnist.load_data()`` (Keras's cache, else a
    download) unless ``download=False``. Checks as in :func:`load_mnist`.
    """
    return _load("fashion-mnist", data_dir, download, verify)


# --------------------------------------------------------------------------------------------------------------
# Getting arrays ready for a network
# --------------------------------------------------------------------------------------------------------------
def prepare(x, y=None, *, flatten=True, scale=255.0, one_hot=False, num_classes=10, dtype="float32"):
    """Turn uint8 images (and labels) into network inputs (and targets).

    x: (N, 28, 28) uint8 images (any (N, ...) works). Returns x as ``dtype`` divided by ``scale`` (so pixels lie in
    [0, 1]), flattened to (N, 784) if ``flatten`` (else kept (N, 28, 28)).
    y: optional (N,) integer labels; returned as int64 (N,) ("sparse" labels) or, with ``one_hot=True``, as
    (N, num_classes) one-hot rows of ``dtype``. Returns ``x`` alone when ``y`` is None, else ``(x, y)``.
    """
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"x should be (N, ...) with one example per row, got shape {x.shape}.")
    if not scale or scale <= 0:
        raise ValueError(f"scale should be a positive number (255 for uint8 pixels), got {scale!r}.")
    x_out = x.astype(dtype) / np.asarray(scale, dtype=dtype)
    if flatten:
        x_out = x_out.reshape(len(x_out), -1)
    if y is None:
        return x_out
    y = np.asarray(y)
    if y.shape != (len(x),):
        raise ValueError(f"y should be (N,) = ({len(x)},) integer labels, got shape {y.shape}.")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"y should hold integer class labels, got dtype {y.dtype}.")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"labels should lie in 0..{num_classes - 1}, found {int(y.min())}..{int(y.max())}; "
                         "pass num_classes=.")
    y_out = y.astype(np.int64)
    if one_hot:
        y_out = np.eye(num_classes, dtype=dtype)[y_out]
    return x_out, y_out


def train_validation_split(x, y, validation_size=5000, *, seed=0, stratify=True):
    """Split off a validation set: ((x_train, y_train), (x_val, y_val)).

    x: (N, ...) examples, y: (N,) labels. ``validation_size`` is a count (int) or a fraction (float in (0, 1)).
    The split is random with ``seed`` and, if ``stratify``, keeps the class proportions of y in both parts
    (scikit-learn's ``train_test_split``). The test set is never touched: keep it for the final evaluation.
    """
    from sklearn.model_selection import train_test_split

    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y should have the same number of rows, got {len(x)} and {len(y)}.")
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=validation_size, random_state=seed, stratify=y if stratify else None
    )
    return (x_train, y_train), (x_val, y_val)
