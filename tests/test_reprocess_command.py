from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from harness import clips
from harness.media import upload_and_wait
from reviews.media import pipeline
from reviews.models import Version
from tests.conftest import client_for

pytestmark = [pytest.mark.slow, pytest.mark.pipeline, pytest.mark.django_db(transaction=True)]


def test_it_reprocesses_failed_versions_and_prints_progress(
    celery_worker, shot, director, tmp_path, settings
):
    client = client_for(director)
    settings.MAX_CLIP_SECONDS = 1
    failed, _ = upload_and_wait(client, shot.pk, clips.make_clip(tmp_path, "no_audio", seconds=2))
    version_id = failed["id"]
    assert "limit" in failed["processing"]["error"]

    settings.MAX_CLIP_SECONDS = 60
    out = StringIO()
    call_command("reprocess", "--failed", "--wait", "--timeout", "60", stdout=out)

    assert Version.objects.get(pk=version_id).processing_state == "ready"
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("[1/1] queued SH010 v1")
    assert lines[-1] == "1/1 done, 100% overall"


def test_it_names_versions_that_do_not_exist(db):
    with pytest.raises(CommandError, match="No version with id 424242"):
        call_command("reprocess", "424242")


def test_a_reprocessed_version_starts_a_new_run(shot, director):
    version = Version.objects.create(
        shot=shot, number=1, file="originals/x.mp4", original_filename="x.mp4", size_bytes=1, sha256="0" * 64
    )
    first = pipeline.claim(version.pk)
    call_command("reprocess", str(version.pk), stdout=StringIO())
    version.refresh_from_db()
    assert (version.processing_state, version.processing_attempts) == ("queued", 0)
    assert pipeline.claim(version.pk) not in (None, first)
