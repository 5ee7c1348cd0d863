"""Where media files live: the one module that knows their names, their layout and their removal.

Everything goes through Django's default storage (``STORAGES["default"]``), so moving the
files to an object store is a settings change. In that storage:

- ``originals/<uuid><ext>`` is an upload as it arrived (named by ``models.original_upload_to``);
- ``versions/<version id>/<run>/`` holds one processing run's outputs, named by ``FILE_NAMES``;
  a version's ``outputs_dir`` names the folder of its published run.

ffmpeg reads and writes local paths. It reads the original through ``original_path`` and
writes into a scratch folder (``scratch``), which ``publish`` moves into the storage in one
step: on a local disk the scratch folder is a hidden one beside the run's final place, renamed
into place when complete, so a crash never leaves a folder that looks finished.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage

# The files a run publishes, by kind; ffmpeg writes them under these names.
RENDERED_NAMES = {"proxy": "proxy.mp4", "poster": "poster.jpg", "filmstrip": "filmstrip.jpg"}
# Every file a signed link can name: the thumbnails track is written per request, never stored.
FILE_NAMES = {**RENDERED_NAMES, "thumbnails": "thumbnails.vtt"}

_VERSIONS = "versions"
# Scratch folders start with this, so a leftover of a crash is told apart from a published run.
_SCRATCH_PREFIX = ".tmp-"
_COPY_CHUNK = 1024 * 1024


def _storage() -> Storage:
    return default_storage


def _local_path(name: str) -> Path | None:
    """The file or folder `name` on this machine's disk, or None if the storage keeps it elsewhere.

    Asked of the class rather than of ``path()``: some storages that keep nothing on disk
    (InMemoryStorage) answer ``path()`` all the same.
    """
    if isinstance(_storage(), FileSystemStorage):
        return Path(_storage().path(name))
    return None


def _version_home(version_id: int) -> str:
    return f"{_VERSIONS}/{version_id}"


def output_name(outputs_dir: str, kind: str) -> str:
    """The storage name of the file of `kind` (a key of FILE_NAMES) in a published run's folder."""
    return f"{outputs_dir}/{FILE_NAMES[kind]}"


def rendered_paths(folder: Path) -> dict[str, Path]:
    """Where ffmpeg writes each kind of output in a scratch folder: {kind: path}."""
    return {kind: folder / name for kind, name in RENDERED_NAMES.items()}


@contextmanager
def original_path(name: str) -> Iterator[Path]:
    """A local path to an uploaded original (`name` in the storage, ``version.file.name``), for as
    long as the block runs.

    On a local disk this is the stored file itself. From a remote storage the file is first
    copied into a temporary file in FILE_UPLOAD_TEMP_DIR, deleted when the block ends.
    Raises FileNotFoundError (or the storage's own error) if the original is gone.
    """
    local = _local_path(name)
    if local is not None:
        yield local
        return
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = PurePosixPath(name).suffix
    with tempfile.NamedTemporaryFile(dir=folder, prefix=_SCRATCH_PREFIX, suffix=suffix) as copy:
        with _storage().open(name, "rb") as source:
            shutil.copyfileobj(source, copy, _COPY_CHUNK)
        copy.flush()
        yield Path(copy.name)


def _scratch_folder(version_id: int, run: str) -> Path:
    home = _local_path(_version_home(version_id))
    if home is not None:
        # Beside the final folder, on the same file system, so publishing is a rename. What an
        # interrupted run left half-written goes first.
        for leftover in home.glob(f"{_SCRATCH_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)
        folder = home / f"{_SCRATCH_PREFIX}{run}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    root = Path(settings.FILE_UPLOAD_TEMP_DIR)
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{version_id}-{run}-", dir=root))


@contextmanager
def scratch(version_id: int, run: str) -> Iterator[Path]:
    """An empty local folder for one run's outputs; removed when the block ends, unless published.

    Leftovers of earlier interrupted runs of the version are cleared first.
    """
    folder = _scratch_folder(version_id, run)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def publish(version_id: int, run: str, folder: Path) -> str:
    """Move a finished scratch folder into the storage as the run's outputs; their ``outputs_dir``.

    On a local disk this is one rename, so the run's folder appears complete or not at all.
    """
    outputs_dir = f"{_version_home(version_id)}/{run}"
    final = _local_path(outputs_dir)
    if final is not None:
        folder.rename(final)
        return outputs_dir
    for path in folder.iterdir():
        name = f"{outputs_dir}/{path.name}"
        # A job run twice may have published this run already: the same bytes, replaced whole.
        _storage().delete(name)
        with path.open("rb") as content:
            _storage().save(name, File(content, name=path.name))
    shutil.rmtree(folder, ignore_errors=True)
    return outputs_dir


def remove_outputs(outputs_dir: str) -> None:
    """Delete a run's folder of outputs, e.g. one published by a job that lost a race."""
    _remove_tree(outputs_dir)


def remove_other_runs(version_id: int, *, keep: str) -> None:
    """Delete every run folder (and scratch folder) of the version but the outputs_dir `keep`."""
    home = _version_home(version_id)
    folders = _listdir(home)[0]
    for folder in folders:
        if f"{home}/{folder}" != keep:
            _remove_tree(f"{home}/{folder}")


def remove_version(version_id: int, original: str) -> None:
    """Delete all the files of a version: every run's outputs and the original (a storage name,
    or empty if it has none). Files already gone are not an error."""
    _remove_tree(_version_home(version_id))
    if original:
        _storage().delete(original)


def _listdir(name: str) -> tuple[list[str], list[str]]:
    try:
        return _storage().listdir(name)
    except FileNotFoundError:
        return [], []


def _remove_tree(name: str) -> None:
    local = _local_path(name)
    if local is not None:
        shutil.rmtree(local, ignore_errors=True)
        return
    folders, files = _listdir(name)
    for file in files:
        _storage().delete(f"{name}/{file}")
    for folder in folders:
        _remove_tree(f"{name}/{folder}")
    # Object stores have no folders to remove and ignore this; others drop the empty folder.
    _storage().delete(name)


def open_output(name: str) -> tuple[File, int]:
    """An output file opened for reading, and its size in bytes; FileNotFoundError if it is gone."""
    size = _storage().size(name)
    return _storage().open(name, "rb"), size
