"""Provenance read from the tags of an uploaded file and from its name (reviews.media.provenance),
hostile tags included; and, through the pipeline, the API showing it. Clips are made with
ffmpeg, so these are in the slow lane; the pure parts are tested in test_provenance.py."""

from __future__ import annotations

import copy
import json

import pytest

from harness.clips import make_video
from harness.media import upload_and_wait
from harness.provenance_clips import COMFY_PROMPT, comfy_tags, tagged_clip
from reviews.media import provenance
from reviews.media.container_tags import MAX_TAG_BYTES, MAX_TAGS
from tests.conftest import client_for

LABEL = {
    "AIGC": {
        "Label": "1",
        "ContentProducer": "001191110108MA01KP2T5U00000",
        "ProduceID": "20250301-7f3a",
        "ReservedCode1": "",
        "ContentPropagator": "Example Video Platform",
        "PropagateID": "v-99812",
        "ReservedCode2": "",
    }
}


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("plain") / "plain.mp4", seconds=1, audio=False)


@pytest.fixture
def tagged(tmp_path, plain):
    return lambda name, tags: tagged_clip(tmp_path / name, tags, source=plain)


def read(path, name=None):
    return provenance.read(path, original_filename=name or path.name)


@pytest.mark.parametrize("suffix", [".mp4", ".webm"])
def test_it_reads_comfyui_prompt_and_workflow_tags(tagged, suffix):
    clip = tagged(f"comfy{suffix}", comfy_tags())

    found = read(clip)

    assert found["comfyui"] == {
        "positive_prompt": "a lighthouse in a storm at dusk, waves crashing",
        "negative_prompt": "blurry, watermark",
        "seed": 156680208700286,
        "sampler_name": "uni_pc",
        "scheduler": "simple",
        "steps": 30,
        "cfg": 6.5,
        "models": ["wan2.1_t2v_14B.safetensors"],
        "loras": ["film_grain_v2.safetensors"],
        "sampler_count": 1,
        "workflow": {
            "node_count": 4,
            "node_types": {"CLIPTextEncode": 2, "CheckpointLoaderSimple": 1, "KSampler": 1},
        },
    }
    assert found["skipped"] == []
    assert found["filename"] is None
    for word in ("a lighthouse in a storm", "wan2.1_t2v_14B", "film_grain_v2", "uni_pc", "156680208700286"):
        assert word in found["search_text"]
    assert "blurry, watermark" not in found["search_text"], "the negative prompt is not what it shows"


def test_a_setting_the_graph_gives_but_that_is_no_number_is_skipped_by_name(tagged):
    """A seed past 2**64 written as text, a "NaN" cfg: null, and ``skipped`` says which and why."""
    prompt = copy.deepcopy(COMFY_PROMPT)
    prompt["3"]["inputs"].update(seed="123456789012345678901", cfg="NaN", steps=-3)
    clip = tagged("odd.mp4", comfy_tags(prompt=prompt))

    found = read(clip)

    assert (found["comfyui"]["seed"], found["comfyui"]["cfg"], found["comfyui"]["steps"]) == (
        None,
        None,
        None,
    )
    assert "unreadable" not in found["comfyui"]
    assert found["skipped"] == [
        {
            "source": "tag:prompt:seed",
            "reason": "not a whole number from 0 to 2**64: '123456789012345678901'",
        },
        {"source": "tag:prompt:steps", "reason": "not a whole number from 1 to 10000: '-3'"},
        {"source": "tag:prompt:cfg", "reason": "not a number below a million: 'NaN'"},
    ]


def test_it_reads_tags_whatever_their_case(tagged):
    tags = {key.upper(): value for key, value in comfy_tags().items()}
    clip = tagged("upper.mp4", {**tags, "Comment": "take 3, the good one"})

    found = read(clip)

    assert found["comfyui"]["seed"] == 156680208700286
    assert found["tags"]["comment"] == "take 3, the good one"


def test_it_reads_the_graphs_videohelpersuite_keeps_in_its_comment(tagged):
    comment = json.dumps({"prompt": json.dumps(COMFY_PROMPT), "workflow": {"nodes": []}})
    clip = tagged("vhs.mp4", {"comment": comment})

    found = read(clip)

    assert found["comfyui"]["positive_prompt"] == "a lighthouse in a storm at dusk, waves crashing"
    assert found["comfyui"]["workflow"] == {"node_count": 0, "node_types": {}}
    assert "comment" not in found["tags"]


def test_it_reports_the_container_comment_encoder_and_creation_time(tmp_path):
    clip = tagged_clip(
        tmp_path / "plain.mp4", {"comment": "graded in Resolve", "creation_time": "2026-11-02T10:00:00Z"}
    )

    tags = read(clip)["tags"]

    assert tags["comment"] == "graded in Resolve"
    assert tags["creation_time"].startswith("2026-11-02T10:00:00")
    assert tags["encoder"].startswith("Lavf")


def test_it_reports_what_a_gb_45438_label_states(tagged):
    clip = tagged("labelled.mp4", {"AIGC": json.dumps(LABEL, ensure_ascii=False)})

    found = read(clip)

    assert found["aigc"] == {
        "label": "1",
        "label_meaning": "AI-generated",
        "content_producer": "001191110108MA01KP2T5U00000",
        "produce_id": "20250301-7f3a",
        "reserved_code1": "",
        "content_propagator": "Example Video Platform",
        "propagate_id": "v-99812",
        "reserved_code2": "",
    }
    assert found["ai_generated"] is True
    assert "Example Video Platform" in found["search_text"]


def test_hundreds_of_junk_tags_written_first_do_not_hide_the_label_or_the_graph(tagged):
    junk = {f"junk{index:03d}": "x" for index in range(300)}
    clip = tagged("buried.mp4", {**junk, "AIGC": json.dumps(LABEL), **comfy_tags()})

    found = read(clip)

    assert found["aigc"]["label"] == "1"
    assert found["ai_generated"] is True
    assert found["comfyui"]["seed"] == 156680208700286
    assert {"source": "tags", "reason": f"more than {MAX_TAGS} tags"} in found["skipped"]


def test_a_label_without_its_wrapper_and_saying_possibly_reads_too(tagged):
    clip = tagged("labelled.mp4", {"aigc": json.dumps({"Label": "2"})})

    found = read(clip)

    assert found["aigc"] == {"label": "2", "label_meaning": "possibly AI-generated"}
    # "Possibly" is neither a yes nor a no.
    assert found["ai_generated"] is None


def test_a_20_mb_workflow_is_skipped_and_every_other_tag_still_reads(tagged):
    huge = {"nodes": [{"id": n, "type": "KSampler", "widgets_values": ["x" * 1000]} for n in range(20000)]}
    clip = tagged("huge.mp4", comfy_tags(workflow=huge))
    assert clip.stat().st_size > 20 * 1024 * 1024

    found = read(clip)

    assert found["skipped"] == [{"source": "tag:workflow", "reason": "larger than 1 MiB"}]
    assert found["comfyui"]["positive_prompt"] == "a lighthouse in a storm at dusk, waves crashing"
    assert "workflow" not in found["comfyui"]
    assert len(json.dumps(found)) < 64 * 1024


def test_a_tag_just_under_the_cap_still_reads(tagged):
    comment = "y" * (MAX_TAG_BYTES - 100)
    clip = tagged("long.mp4", {"comment": comment})

    found = read(clip)

    assert found["skipped"] == []
    assert found["tags"]["comment"] == comment[: provenance.MAX_TAG_TEXT]


def test_bad_json_in_a_tag_is_skipped_with_its_reason(tagged):
    clip = tagged("bad.mp4", {"prompt": '{"3": {"class_type": ', "workflow": "not json"})

    found = read(clip)

    assert [entry["source"] for entry in found["skipped"]] == ["tag:prompt", "tag:workflow"]
    assert all("not valid JSON" in entry["reason"] for entry in found["skipped"])
    assert found["comfyui"] is None


def test_a_nesting_bomb_is_refused_before_parsing(tagged):
    bomb = "[" * 100_000 + "]" * 100_000
    clip = tagged("bomb.mp4", {"prompt": bomb, "AIGC": "{" * 50_000})

    found = read(clip)

    assert {entry["source"] for entry in found["skipped"]} == {"tag:prompt", "tag:AIGC"}
    assert all("nested too deeply" in entry["reason"] for entry in found["skipped"])


def test_a_prompt_list_in_a_tag_is_skipped(tagged):
    clip = tagged("list.mp4", {"prompt": json.dumps(["a", "list"])})

    found = read(clip)

    assert found["skipped"] == [
        {"source": "tag:prompt", "reason": "a JSON list, not a node graph (API format)"}
    ]


def test_a_known_download_name_gives_a_guess_marked_as_one(plain):
    name = "Gen-4 Turbo 2283402836, a wide sky over the sea, ….mp4"
    guess = {
        "tool": "Runway",
        "model": "Gen-4 Turbo",
        "number": "2283402836",
        "prompt_start": "a wide sky over the sea",
    }
    clip = plain

    found = read(clip, name)

    assert found["filename"] == {"guessed_from": "filename", **guess}
    assert guess["prompt_start"] in found["search_text"]


def test_a_name_is_not_guessed_from_when_the_file_says_more(tagged):
    clip = tagged("comfy.mp4", comfy_tags())

    found = read(clip, "Gen-4 Turbo 2283402836, a wide sky over the sea.mp4")

    assert found["filename"] is None


@pytest.mark.pipeline
@pytest.mark.django_db(transaction=True)
def test_the_api_shows_the_provenance_read_before_the_transcode(celery_worker, shot, director, tagged):
    clip = tagged("comfy.mp4", comfy_tags())
    client = client_for(director)

    version, _ = upload_and_wait(client, shot.pk, clip)

    assert version["processing"]["state"] == "ready"
    found = version["provenance"]
    assert found["comfyui"]["positive_prompt"] == "a lighthouse in a storm at dusk, waves crashing"
    assert found["proxy"]["credentialed"] is False
    assert found["c2pa"] == {"state": "absent"}
    listed = client.get(f"/api/v1/shots/{shot.pk}/versions/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert rows[0]["provenance"] == found


@pytest.mark.pipeline
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("hostile", [r"\u0000", r"\ud800", r"\udfff\u0000\ud83d"])
def test_a_nul_or_a_lone_surrogate_in_a_tag_still_gives_a_ready_version(
    celery_worker, shot, director, tagged, hostile
):
    """JSON escapes in a tag decode to text PostgreSQL's JSON cannot hold: stored as U+FFFD instead."""
    text = json.dumps(COMFY_PROMPT).replace("a lighthouse", f"a {hostile} lighthouse", 1)
    clip = tagged("hostile.mp4", {"prompt": text})
    client = client_for(director)

    version, _ = upload_and_wait(client, shot.pk, clip)

    assert version["processing"]["state"] == "ready"
    prompt = version["provenance"]["comfyui"]["positive_prompt"]
    assert prompt.startswith("a \ufffd")
    assert prompt.endswith("lighthouse in a storm at dusk, waves crashing")
    assert client.get(f"/api/v1/shots/{shot.pk}/versions/").status_code == 200
