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

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage

# The files a run publishes, by kind; ffmpeg writes them under these names.
RENDERED_NAMES = {"proxy": "proxy.mp4", "poster": "poster.jpg", "filmstrip": "filmstrip.jpg"}
# Every file a signed link can name: the thumbnails track is written per request, never stored.
FILE_NAMES = {**RENDERED_NAMES, "thumbnails": "thumbnails.vtt"}

_VERSIONS = "versions"
_ORIGINALS = "originals"
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


def remove_original(name: str) -> None:
    """Delete an uploaded original (a storage name) that no version owns; gone already is fine."""
    _storage().delete(name)


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


def is_original(name: str) -> bool:
    """Whether `name` (``version.file.name``) is an upload as ``models.original_upload_to`` stores it:
    one file straight in ``originals/``, never a path that climbs out of it."""
    folder, _, file = name.partition("/")
    return folder == _ORIGINALS and bool(file) and "/" not in file and not file.startswith(".")


def open_original(name: str) -> tuple[File, int]:
    """An uploaded original (``version.file.name``) opened for reading, byte for byte as it arrived,
    and its size in bytes; FileNotFoundError if it is gone or `name` is no stored original."""
    if not is_original(name):
        raise FileNotFoundError(name)
    return open_output(name)


def original_exists(name: str) -> bool:
    """Whether `name` (``version.file.name``) is a stored original that is still there."""
    return is_original(name) and _storage().exists(name)


def original_link_name(name: str) -> str:
    """The last segment of a link to an original: ``original`` and the stored file's suffix
    (``original.mov``), never the name it had on the uploader's disk."""
    return f"original{PurePosixPath(name).suffix}"


# --- what a crash may leave behind, for reviews.media.sweep ------------------


@dataclass(frozen=True)
class Leftover:
    """Something in the storage, or in the local upload folder, that may belong to no row.

    `kind` is "original" (a stored upload), "home" (a version's folder, listed before what it
    holds), "run" (a run's folder in it), "scratch" (a run's scratch folder), "stray" (anything
    else in the layout) or "temporary" (a file or folder in FILE_UPLOAD_TEMP_DIR: `name` is then a
    local path; a scratch folder there, for storages kept elsewhere, names its version and run).
    `modified` is the newest change in it (UTC), or None if the storage cannot tell.
    """

    name: str
    kind: str
    modified: datetime | None
    version_id: int | None = None
    run: str = ""
    folder: bool = True


def leftovers() -> Iterator[Leftover]:
    """Everything the sweep judges: each stored original, each folder of each version, and each
    entry of the upload folder. Listed lazily; what vanishes meanwhile is skipped."""
    for file in _listdir(_ORIGINALS)[1]:
        name = f"{_ORIGINALS}/{file}"
        yield Leftover(name=name, kind="original", modified=_file_modified(name), folder=False)
    for home_name in _listdir(_VERSIONS)[0]:
        home = f"{_VERSIONS}/{home_name}"
        version_id = int(home_name) if home_name.isdigit() else None
        kind = "home" if version_id is not None else "stray"
        yield Leftover(name=home, kind=kind, modified=_newest(home), version_id=version_id)
        if version_id is None:
            continue
        folders, files = _listdir(home)
        for folder in folders:
            name = f"{home}/{folder}"
            scratch_run = folder.removeprefix(_SCRATCH_PREFIX)
            kind = "scratch" if scratch_run != folder else "run"
            yield Leftover(
                name=name, kind=kind, modified=_newest(name), version_id=version_id, run=scratch_run
            )
        for file in files:
            name = f"{home}/{file}"
            yield Leftover(
                name=name, kind="stray", modified=_file_modified(name), version_id=version_id, folder=False
            )
    yield from _temporary_leftovers()


def _temporary_leftovers() -> Iterator[Leftover]:
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR)
    try:
        entries = list(folder.iterdir())
    except FileNotFoundError:
        return
    for path in entries:
        modified = _newest_local(path)
        if modified is None:
            continue
        # Scratch folders of storages kept elsewhere are named .tmp-<version id>-<run>-<random>.
        parts = path.name.removeprefix(_SCRATCH_PREFIX).split("-")
        scratch = path.name.startswith(_SCRATCH_PREFIX) and len(parts) == 3 and parts[0].isdigit()
        yield Leftover(
            name=str(path),
            kind="temporary",
            modified=modified,
            version_id=int(parts[0]) if scratch else None,
            run=parts[1] if scratch else "",
            folder=path.is_dir(),
        )


def remove_leftover(leftover: Leftover) -> None:
    """Delete a Leftover, file or folder; gone already is fine."""
    if leftover.kind == "temporary":
        path = Path(leftover.name)
        if leftover.folder:
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    elif leftover.folder:
        _remove_tree(leftover.name)
    else:
        _storage().delete(leftover.name)


def _newest_local(path: Path) -> datetime | None:
    """The latest modification time of a local file or of anything in a local folder (UTC)."""
    try:
        latest = path.stat().st_mtime
        if path.is_dir():
            for folder, _, files in os.walk(path):
                for name in [folder, *(os.path.join(folder, file) for file in files)]:
                    try:
                        latest = max(latest, os.stat(name).st_mtime)
                    except FileNotFoundError:
                        continue
    except FileNotFoundError:
        return None
    return datetime.fromtimestamp(latest, tz=UTC)


def _file_modified(name: str) -> datetime | None:
    try:
        return _storage().get_modified_time(name)
    except (FileNotFoundError, NotImplementedError):
        return None


def _newest(folder: str) -> datetime | None:
    """The latest modification of any file in a stored folder, or of the folder itself (UTC)."""
    local = _local_path(folder)
    if local is not None:
        return _newest_local(local)
    folders, files = _listdir(folder)
    times = [_file_modified(f"{folder}/{file}") for file in files]
    times += [_newest(f"{folder}/{sub}") for sub in folders]
    if not folders and not files:
        # An empty folder, in a storage that keeps folders.
        times.append(_file_modified(folder))
    known = [time for time in times if time is not None]
    return max(known) if known else None
