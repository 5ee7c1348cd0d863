"""Where media files live (reviews.media.storage), on the local disk and in a storage that keeps
nothing there, as an object store would: only the STORAGES setting differs."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from reviews.media import storage


@pytest.fixture
def elsewhere(settings):
    """Files kept off this machine's disk: Django's in-memory storage stands in for an object store."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def _render_into(folder: Path) -> None:
    for kind, path in storage.rendered_paths(folder).items():
        path.write_bytes(kind.encode())


def _read(name: str) -> bytes:
    handle, size = storage.open_output(name)
    with handle:
        content = handle.read()
    assert len(content) == size
    return content


def test_it_publishes_a_run_on_disk_by_renaming_its_hidden_scratch_folder(settings):
    with storage.scratch(7, "run1") as folder:
        assert folder.parent == Path(settings.MEDIA_ROOT) / "versions" / "7"
        assert folder.name.startswith(".")
        _render_into(folder)
        outputs_dir = storage.publish(7, "run1", folder)

    assert outputs_dir == "versions/7/run1"
    assert [path.name for path in (Path(settings.MEDIA_ROOT) / "versions" / "7").iterdir()] == ["run1"]
    assert _read(storage.output_name(outputs_dir, "proxy")) == b"proxy"


def test_it_clears_what_an_interrupted_run_left_before_a_new_one(settings):
    home = Path(settings.MEDIA_ROOT) / "versions" / "7"
    (home / ".tmp-crashed").mkdir(parents=True)
    with storage.scratch(7, "run2") as folder:
        assert [path.name for path in home.iterdir()] == [folder.name]
    assert not folder.exists(), "an unpublished scratch folder goes when the block ends"


def test_it_keeps_only_the_published_run_of_a_version(settings):
    for run in ("run1", "run2"):
        with storage.scratch(7, run) as folder:
            _render_into(folder)
            storage.publish(7, run, folder)
    storage.remove_other_runs(7, keep="versions/7/run2")
    assert [path.name for path in (Path(settings.MEDIA_ROOT) / "versions" / "7").iterdir()] == ["run2"]


def test_it_gives_ffmpeg_the_stored_original_itself_on_disk():
    name = default_storage.save("originals/take1.mp4", ContentFile(b"clip"))
    with storage.original_path(name) as path:
        assert path == Path(default_storage.path(name))


def test_it_copies_an_original_kept_elsewhere_to_a_local_file_for_as_long_as_needed(elsewhere):
    name = default_storage.save("originals/take1.mp4", ContentFile(b"clip"))
    with storage.original_path(name) as path:
        assert path.read_bytes() == b"clip"
        assert path.suffix == ".mp4", "ffprobe may go by the extension"
    assert not path.exists()


def test_it_publishes_outputs_into_a_storage_kept_elsewhere(elsewhere, settings):
    with storage.scratch(7, "run1") as folder:
        assert not folder.is_relative_to(Path(settings.MEDIA_ROOT) / "versions")
        _render_into(folder)
        outputs_dir = storage.publish(7, "run1", folder)
    assert not folder.exists()

    assert outputs_dir == "versions/7/run1"
    assert {kind: _read(storage.output_name(outputs_dir, kind)) for kind in storage.RENDERED_NAMES} == {
        "proxy": b"proxy",
        "poster": b"poster",
        "filmstrip": b"filmstrip",
    }


def test_it_removes_every_file_of_a_version_kept_elsewhere(elsewhere):
    original = default_storage.save("originals/take1.mp4", ContentFile(b"clip"))
    for run in ("run1", "run2"):
        with storage.scratch(7, run) as folder:
            _render_into(folder)
            storage.publish(7, run, folder)
    storage.remove_other_runs(7, keep="versions/7/run2")
    assert default_storage.listdir("versions/7") == (["run2"], [])

    storage.remove_version(7, original)

    assert not default_storage.exists("versions/7")
    assert not default_storage.exists(original)
    with pytest.raises(FileNotFoundError):
        storage.open_output("versions/7/run2/proxy.mp4")
