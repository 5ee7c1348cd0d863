"""Provenance's pure parts: ComfyUI graphs of every shape, download names, the search text."""

from __future__ import annotations

import pytest

from reviews.media import c2pa_credentials, comfyui, provenance


def test_a_file_that_is_no_video_gives_provenance_with_nothing_in_it(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 5000)

    found = provenance.read(junk, original_filename="junk.mp4")

    assert found["c2pa"] == {"state": "absent"}
    assert (found["tags"], found["comfyui"], found["aigc"], found["filename"]) == ({}, None, None, None)
    assert found["proxy"]["credentialed"] is False


def test_wrong_types_keep_what_parses():
    graph = {
        "1": "not a node",
        "2": {"class_type": "CLIPTextEncode", "inputs": {"text": ["404", 0]}},
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": "42",
                "steps": "many",
                "cfg": [1, 2],
                "sampler_name": 7,
                "model": ["9", 0],
                "positive": ["2", 0],
                "negative": None,
            },
        },
        "4": {"inputs": {"ckpt_name": ["x"]}},
    }

    summary = comfyui.summarize_prompt(graph)

    assert summary["seed"] == 42
    assert (summary["steps"], summary["cfg"], summary["sampler_name"]) == (None, None, "")
    assert (summary["positive_prompt"], summary["negative_prompt"]) == ("", "")
    assert summary["sampler_count"] == 1


@pytest.mark.parametrize("graph", [["a", "list"], "text", 12, {}, {"1": {"class_type": "KSampler"}}])
def test_a_prompt_that_is_not_a_graph_is_refused_by_name(graph):
    with pytest.raises(comfyui.NotAGraph):
        comfyui.summarize_prompt(graph)


def test_the_prompt_is_followed_through_conditioning_nodes_and_primitives():
    graph = {
        "20": {"class_type": "PrimitiveString", "inputs": {"value": "a red kite over dunes"}},
        "21": {"class_type": "PrimitiveInt", "inputs": {"value": 7}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": ["20", 0]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "low quality"}},
        "30": {
            "class_type": "WanImageToVideo",
            "inputs": {"positive": ["6", 0], "negative": ["7", 0], "vae": ["1", 0]},
        },
        "3": {
            "class_type": "KSampler",
            "inputs": {"seed": ["21", 0], "model": ["1", 0], "positive": ["30", 0], "negative": ["30", 1]},
        },
    }

    summary = comfyui.summarize_prompt(graph)

    assert summary["positive_prompt"] == "a red kite over dunes"
    assert summary["negative_prompt"] == "low quality"
    assert summary["seed"] == 7


@pytest.mark.parametrize(
    ("name", "guess"),
    [
        (
            "Gen-4 Turbo 2283402836, a wide sky over the sea, ….mp4",
            {
                "tool": "Runway",
                "model": "Gen-4 Turbo",
                "number": "2283402836",
                "prompt_start": "a wide sky over the sea",
            },
        ),
        (
            "Gen-3 Alpha Turbo 1234567, slow dolly in on a diner.mp4",
            {
                "tool": "Runway",
                "model": "Gen-3 Alpha Turbo",
                "number": "1234567",
                "prompt_start": "slow dolly in on a diner",
            },
        ),
        (
            "kling_20250301_Text_to_Video_A_cat_on_a_roof_1234_0.mp4",
            {
                "tool": "Kling",
                "date": "2025-03-01",
                "mode": "Text to Video",
                "prompt_start": "A cat on a roof",
            },
        ),
        (
            "C:\\Users\\ana\\Downloads\\kling_20251112_Image_to_Video_slow_pan_2_1.mov",
            {"tool": "Kling", "date": "2025-11-12", "mode": "Image to Video", "prompt_start": "slow pan"},
        ),
    ],
)
def test_known_download_names_give_a_guess_marked_as_one(name, guess):
    assert provenance.guess_from_filename(name) == {"guessed_from": "filename", **guess}


@pytest.mark.parametrize(
    "name",
    [
        "clip.mp4",
        "Gen-4 Turbo.mp4",
        "kling_.mp4",
        "a, b, c.mp4",
        "x" * 300,
        # Not a date; not a Runway model.
        "kling_20261399_Text_to_Video_cat_0_1.mp4",
        "kling_00000000_Text_to_Video_cat_0_1.mp4",
        "Gentle 12345, cat.mov",
    ],
)
def test_other_names_give_no_guess(name):
    assert provenance.guess_from_filename(name) is None


def test_the_search_text_is_capped():
    found = {"comfyui": {"positive_prompt": "word " * 5000, "models": ["m"] * 3}}

    assert len(provenance.search_text(found)) == provenance.MAX_SEARCH_TEXT


def test_the_summary_of_a_store_with_missing_pieces_is_still_a_summary():
    assert c2pa_credentials.summarize({"manifests": [], "active_manifest": 3})["state"] == "untrusted"
    summary = c2pa_credentials.summarize(
        {
            "active_manifest": "m",
            "manifests": {"m": {"assertions": [{"label": "c2pa.actions", "data": {"actions": "x"}}]}},
            "validation_status": [{"code": "claimSignature.mismatch"}],
        }
    )
    assert summary["state"] == "invalid"
    assert summary["actions"] == []


def test_the_reader_settings_turn_off_every_fetch():
    assert c2pa_credentials.OFFLINE_SETTINGS["verify"]["remote_manifest_fetch"] is False
    assert c2pa_credentials.OFFLINE_SETTINGS["verify"]["ocsp_fetch"] is False
    assert c2pa_credentials.OFFLINE_SETTINGS["core"]["allowed_network_hosts"] == []


def test_a_browsers_copy_suffix_is_not_part_of_the_prompt():
    guess = provenance.guess_from_filename("kling_20251112_Image_to_Video_slow_pan_2_1 (1).mp4")

    assert guess["prompt_start"] == "slow pan"


def test_text_postgresql_cannot_store_becomes_the_replacement_character():
    hostile = {"a\x00": ["x\ud800y", {"k": "\udfff"}], "n": 3, "ok": "wide sky"}

    assert provenance.storable(hostile) == {
        "a\ufffd": ["x\ufffdy", {"k": "\ufffd"}],
        "n": 3,
        "ok": "wide sky",
    }


def test_a_node_named_as_a_sampler_with_a_positive_input_is_read_as_one():
    graph = {
        "3": {"class_type": "KSampler", "inputs": {"seed": 4242, "positive": ["6", 0]}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "open on a wide sky"}},
        "9": {"class_type": "WanImageToVideo", "inputs": {"positive": ["6", 0], "vae": ["1", 0]}},
    }

    summary = comfyui.summarize_prompt(graph)

    assert (summary["positive_prompt"], summary["seed"], summary["sampler_count"]) == (
        "open on a wide sky",
        4242,
        1,
    )
