"""C2PA content credentials read from an uploaded file, offline: clips signed at test time by a
CA made with openssl, then read back by reviews.media.provenance."""

from __future__ import annotations

import http.server
import threading
from datetime import UTC, datetime

import pytest

from harness.clips import make_video
from harness.media import upload_and_wait
from harness.provenance_clips import (
    COMPOSITE_AI_SOURCE,
    alter_media,
    local_tsa,
    make_test_ca,
    sign_clip,
)
from reviews.media import provenance
from tests.conftest import client_for

# The clips are made with ffmpeg: the slow lane (the pure parts are in test_provenance.py).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return make_test_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def plain_clip(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("clips") / "plain.mp4", seconds=1, audio=False)


@pytest.fixture
def signed(ca, plain_clip, tmp_path):
    return sign_clip(plain_clip, tmp_path / "signed.mp4", ca)


def read(path, **kwargs):
    return provenance.read(path, original_filename=path.name, **kwargs)


def test_a_signed_clip_reads_as_untrusted_with_its_signer_actions_and_ai_generation(signed):
    found = read(signed)

    c2pa = found["c2pa"]
    assert c2pa["state"] == "untrusted"
    assert c2pa["signer"] == {"issuer": "Test Studio", "common_name": "Studio Signer", "algorithm": "Es256"}
    assert c2pa["claim_generator"] == "Test Generator 1.0"
    assert c2pa["actions"] == [
        {
            "action": "c2pa.created",
            "digital_source_type": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
            "software_agent": "Sora",
            "when": None,
        }
    ]
    assert c2pa["ai_generated"] is True
    assert c2pa["composite_with_ai"] is False
    assert c2pa["failures"] == ["signingCredential.untrusted"]
    # No timestamp authority was asked at signing: nothing dates the signature.
    assert c2pa["signed_at"] is None
    assert found["ai_generated"] is True
    assert found["skipped"] == []
    assert "Studio Signer" in found["search_text"]
    assert "Test Generator 1.0" in found["search_text"]
    assert "Sora" in found["search_text"]


def test_a_signed_clip_reads_as_valid_when_its_ca_is_a_trust_anchor(signed, ca):
    found = read(signed, trust_anchors_pem=ca.root.read_text())

    assert found["c2pa"]["state"] == "valid"
    assert found["c2pa"]["failures"] == []


def test_a_timestamped_signature_gives_its_signing_time(ca, plain_clip, tmp_path):
    before = datetime.now(UTC).replace(microsecond=0)
    with local_tsa(ca) as tsa_url:
        stamped = sign_clip(plain_clip, tmp_path / "stamped.mp4", ca, tsa_url=tsa_url)

    c2pa = read(stamped, trust_anchors_pem=ca.root.read_text())["c2pa"]

    assert c2pa["state"] == "valid"
    assert before <= datetime.fromisoformat(c2pa["signed_at"]) <= datetime.now(UTC)


def test_a_clip_altered_after_signing_reads_as_invalid(signed, ca):
    alter_media(signed)

    found = read(signed, trust_anchors_pem=ca.root.read_text())

    assert found["c2pa"]["state"] == "invalid"
    assert "assertion.bmffHash.mismatch" in found["c2pa"]["failures"]
    # What the manifest declares is still reported, beside the verdict.
    assert found["c2pa"]["ai_generated"] is True


def test_it_reports_a_composite_with_ai_media(ca, plain_clip, tmp_path):
    signed = sign_clip(plain_clip, tmp_path / "composite.mp4", ca, source_type=COMPOSITE_AI_SOURCE)

    c2pa = read(signed)["c2pa"]

    assert c2pa["ai_generated"] is False
    assert c2pa["composite_with_ai"] is True


def test_a_clip_without_credentials_reads_as_absent(plain_clip):
    found = read(plain_clip)

    assert found["c2pa"] == {"state": "absent"}
    assert found["ai_generated"] is None
    assert found["proxy"]["credentialed"] is False


def test_it_never_fetches_a_remote_manifest(ca, plain_clip, tmp_path):
    requests = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/manifest.c2pa"
        pointing = sign_clip(plain_clip, tmp_path / "remote.mp4", ca, remote_url=url)

        found = read(pointing)
    finally:
        server.shutdown()
        server.server_close()

    assert requests == []
    assert found["c2pa"] == {"state": "absent", "remote_manifest_url": url}
    assert found["skipped"] == [
        {
            "source": "c2pa",
            "reason": "the file points to a remote manifest, which is not fetched (reading is offline)",
        }
    ]


def test_a_malformed_manifest_is_invalid_and_the_rest_still_reads(signed):
    data = bytearray(signed.read_bytes())
    # The manifest store is JUMBF in a uuid box; break its CBOR claim, keep the box sizes.
    claim = data.find(b"c2pa.claim")
    for offset in range(claim + 40, claim + 120):
        data[offset] = 0xFF
    signed.write_bytes(bytes(data))

    found = read(signed)

    assert found["c2pa"]["state"] == "invalid"
    assert found["c2pa"]["error"].startswith("Decoding")
    assert [entry["source"] for entry in found["skipped"]] == ["c2pa"]
    assert found["skipped"][0]["reason"].startswith("the manifest cannot be read")
    assert found["tags"]["encoder"].startswith("Lavf")


def test_a_reader_that_runs_out_of_time_is_skipped_not_fatal(signed):
    found = read(signed, timeout=0.001)

    assert found["c2pa"] == {"state": "unread"}
    assert {"source": "c2pa", "reason": "reading the content credentials took longer than 0.001 s"} in (
        found["skipped"]
    )


@pytest.mark.pipeline
@pytest.mark.django_db(transaction=True)
def test_the_api_shows_a_signed_upload_valid_under_the_configured_trust_anchors(
    celery_worker, shot, director, signed, ca, settings
):
    settings.C2PA_TRUST_ANCHORS = str(ca.root)

    version, _ = upload_and_wait(client_for(director), shot.pk, signed)

    assert version["processing"]["state"] == "ready"
    c2pa = version["provenance"]["c2pa"]
    assert (c2pa["state"], c2pa["ai_generated"]) == ("valid", True)
    assert c2pa["signer"]["common_name"] == "Studio Signer"
    assert version["provenance"]["proxy"]["credentialed"] is False
