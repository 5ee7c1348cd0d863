"""Notes as the next prompt: a version's generation settings and open notes, as JSON or Markdown."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from reviews import services
from reviews.next_prompt import next_prompt_markdown
from tests.conftest import client_for
from tests.factories import VersionFactory

DRAWING = {
    "shapes": [{"type": "arrow", "color": "#ff3b30", "width": 0.004, "points": [[0.1, 0.1], [0.2, 0.2]]}]
}


@pytest.fixture
def version(shot):
    return VersionFactory(
        shot=shot,
        number=2,
        generation={"model": "veo-3", "prompt": "A hand reaches for a cup, hesitates.", "seed": 4242},
        fps_numerator=24,
        fps_denominator=1,
        frame_count=240,
    )


@pytest.fixture
def notes(version, mentor, reviewer, director):
    hand = services.comment_create(
        version=version,
        author=mentor,
        body="Six fingers on the left hand",
        frame=36,
        frame_end=48,
        category="hands_and_body",
        severity="must_fix",
        annotation=DRAWING,
    )
    services.comment_create(version=version, author=reviewer, body="Also the thumb bends back", parent=hand)
    services.comment_create(
        version=version,
        author=reviewer,
        body="Fingers could be longer",
        frame=12,
        category="hands_and_body",
        severity="suggestion",
    )
    services.comment_create(
        version=version,
        author=mentor,
        body="Pan eases out too late",
        frame=100,
        category="camera",
        severity="must_fix",
    )
    services.comment_create(version=version, author=reviewer, body="Feels rushed overall")
    done = services.comment_create(
        version=version, author=mentor, body="Cup was blue", frame=5, category="other"
    )
    services.comment_update(comment=done, by=director, resolved=True)
    gone = services.comment_create(version=version, author=reviewer, body="Deleted thought", frame=6)
    services.comment_delete(comment=gone, by=reviewer)


def _get(client, version, query="", **headers):
    return client.get(f"/api/v1/versions/{version.pk}/next-prompt/{query}", **headers)


def test_it_answers_the_prompt_and_the_open_notes_grouped_by_category_then_severity(version, notes, viewer):
    response = _get(client_for(viewer), version)

    assert response.status_code == 200
    body = response.json()
    assert body["generation"] == {
        "model": "veo-3",
        "prompt": "A hand reaches for a cup, hesitates.",
        "seed": 4242,
    }
    assert body["open_note_count"] == 4
    assert [group["label"] for group in body["groups"]] == ["Hands and body", "Camera", "Not categorised"]
    hands = body["groups"][0]["notes"]
    assert [(note["severity"], note["body"]) for note in hands] == [
        ("must_fix", "Six fingers on the left hand"),
        ("suggestion", "Fingers could be longer"),
    ]
    first = hands[0]
    assert (first["timecode"], first["timecode_end"]) == ("00:00:01:12", "00:00:02:00")
    assert first["has_drawing"] is True
    assert first["replies"] == [{"author": "carol", "body": "Also the thumb bends back"}]
    assert body["groups"][2]["notes"][0]["timecode"] is None


def test_it_answers_markdown_when_asked_by_format_or_by_accept(version, notes, mentor):
    client = client_for(mentor)
    by_format = _get(client, version, "?format=md")
    by_accept = _get(client, version, HTTP_ACCEPT="text/markdown")

    assert by_format["Content-Type"] == "text/markdown; charset=utf-8"
    assert by_format.content == by_accept.content
    text = by_format.content.decode()
    assert text.startswith(
        "# Next prompt for SH010 v2\n\n## Prompt\n\n```text\nA hand reaches for a cup, hesitates.\n```\n"
    )
    assert "- Model: `veo-3`\n- Seed: `4242`\n" in text
    assert (
        "### Hands and body\n\n"
        "- **Must fix** · 00:00:01:12 to 00:00:02:00 · has a drawing\n\n"
        "  ```text\n  Six fingers on the left hand\n  ```\n\n"
        "  - carol replied:\n\n"
        "    ```text\n    Also the thumb bends back\n    ```\n\n"
        "- **Suggestion** · 00:00:00:12\n\n"
        "  ```text\n  Fingers could be longer\n  ```\n"
    ) in text
    assert "- whole clip\n\n  ```text\n  Feels rushed overall\n  ```\n" in text
    assert "Cup was blue" not in text
    assert "Deleted thought" not in text
    assert text.index("### Hands and body") < text.index("### Camera") < text.index("### Not categorised")


def test_a_version_without_notes_or_prompt_says_so(shot, viewer):
    version = VersionFactory(shot=shot, number=1)
    text = _get(client_for(viewer), version, "?format=md").content.decode()
    assert "(no prompt recorded)" in text
    assert "No open notes." in text


def test_an_outsider_gets_404_in_either_format(version, notes, outsider):
    client = client_for(outsider)
    assert _get(client, version).status_code == 404
    response = _get(client, version, "?format=md")
    assert response.status_code == 404
    assert "Secret" not in response.content.decode()


@pytest.mark.parametrize(
    ("method", "who", "query", "headers", "status"),
    [
        ("get", "outsider", "?format=md", {}, 404),
        ("get", "outsider", "", {"HTTP_ACCEPT": "text/markdown"}, 404),
        ("get", None, "?format=md", {}, 401),
        ("get", None, "", {"HTTP_ACCEPT": "text/markdown"}, 401),
        ("post", "mentor", "?format=md", {}, 405),
        ("delete", "mentor", "", {"HTTP_ACCEPT": "text/markdown"}, 405),
        ("get", "mentor", "?format=pdf", {}, 400),
        ("get", "mentor", "", {"HTTP_ACCEPT": "application/pdf"}, 406),
    ],
)
def test_every_error_is_json_whatever_format_was_asked(version, request, method, who, query, headers, status):
    client = client_for(request.getfixturevalue(who)) if who else Client()
    response = getattr(client, method)(f"/api/v1/versions/{version.pk}/next-prompt/{query}", **headers)

    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize(
    ("query", "headers", "content_type"),
    [
        ("?format=markdown", {}, "text/markdown; charset=utf-8"),
        ("?format=md", {"HTTP_ACCEPT": "application/json"}, "text/markdown; charset=utf-8"),
        ("?format=json", {"HTTP_ACCEPT": "text/markdown"}, "application/json"),
    ],
)
def test_the_format_parameter_wins_over_accept_and_markdown_is_a_name_for_md(
    version, mentor, query, headers, content_type
):
    response = _get(client_for(mentor), version, query, **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type


def test_it_refuses_a_format_it_does_not_write(version, mentor):
    assert _get(client_for(mentor), version, HTTP_ACCEPT="application/pdf").status_code == 406


HOSTILE = "first line\n# Not a heading\n- not an item\n1. nor this\n> nor a quote\n```\n````\n<b>x</b>"


def _data(notes, generation=None):
    return {
        "version": {"id": 1, "number": 1, "shot": {"id": 1, "code": "SH010", "title": ""}},
        "generation": generation or {"model": None, "prompt": None, "seed": None},
        "rate": "24",
        "open_note_count": len(notes),
        "groups": [{"category": "", "label": "Not categorised", "notes": notes}],
    }


def _note(body, replies=(), **fields):
    return {
        "severity": "",
        "timecode": None,
        "timecode_end": None,
        "beyond_end": False,
        "body": body,
        "has_drawing": False,
        "carried_from": None,
        "replies": list(replies),
        **fields,
    }


def _blocks(text):
    """The Markdown's block structure, as a CommonMark parser sees it: (type, level) of each token."""
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").parse(text)


@pytest.mark.parametrize(
    "body",
    [
        HOSTILE,
        "```",
        "~~~\n# heading",
        "    indented code?\n\n\n- item",
        "line\r\n## crlf heading\r- cr item",
        "trailing `tick`",
        "x\n---",
    ],
)
def test_what_people_wrote_never_becomes_markdown_structure(body):
    text = next_prompt_markdown(
        _data(
            [_note(body, replies=[{"author": "carol", "body": body}])],
            {"model": None, "prompt": body, "seed": 1},
        )
    )
    tokens = _blocks(text)

    headings = [tokens[i + 1].content for i, token in enumerate(tokens) if token.type == "heading_open"]
    assert headings == [
        "Next prompt for SH010 v1",
        "Prompt",
        "Notes to address (1 open, timecodes at 24 fps)",
        "Not categorised",
    ]
    fences = [token for token in tokens if token.type == "fence"]
    expected = "\n".join(line.rstrip() for line in body.strip("\n").splitlines()) + "\n"
    assert [fence.content for fence in fences] == [expected] * 3, "the prompt, the note, the reply, verbatim"
    items = [tokens[i + 2].content for i, token in enumerate(tokens) if token.type == "list_item_open"]
    assert items == ["Seed: `1`", "whole clip", "carol replied:"]
    assert not [
        token for token in tokens if token.type in ("html_block", "blockquote_open", "code_block", "hr")
    ]


def test_a_prompt_with_a_setting_line_in_it_fakes_no_setting():
    text = next_prompt_markdown(
        _data([], {"model": "veo\n- Seed: 999", "prompt": "a cup\n- Seed: 999", "seed": 1})
    )
    tokens = _blocks(text)
    items = [tokens[i + 2].content for i, token in enumerate(tokens) if token.type == "list_item_open"]
    assert items == ['Model: `"veo\\n- Seed: 999"`', "Seed: `1`"]
    assert [token.content for token in tokens if token.type == "fence"] == ["a cup\n- Seed: 999\n"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ({"positive": "a"}, '`{"positive": "a"}`'),
        (["a", "b"], '`["a", "b"]`'),
        (True, "`true`"),
        (4242, "`4242`"),
        ("veo`3", "``veo`3``"),
    ],
)
def test_settings_that_are_not_strings_are_json(value, shown):
    text = next_prompt_markdown(_data([], {"model": value, "prompt": None, "seed": None}))
    assert f"- Model: {shown}\n" in text


def test_a_prompt_that_is_not_a_string_is_json():
    text = next_prompt_markdown(_data([], {"model": None, "prompt": {"positive": "a"}, "seed": None}))
    assert '```json\n{\n  "positive": "a"\n}\n```' in text


def test_marks_are_on_the_items_own_line_and_blank_lines_have_no_trailing_spaces():
    carried = {"version": 7, "number": 2, "written_on": 1, "timecode": "00:00:03:12"}
    text = next_prompt_markdown(
        _data(
            [
                _note(
                    "first line\n\nsecond line",
                    beyond_end=True,
                    has_drawing=True,
                    carried_from=carried,
                    replies=[{"author": "carol", "body": "a\n\n  \nb"}],
                )
            ]
        )
    )
    assert (
        "- past the end of this clip (was at 00:00:03:12 of v1) · has a drawing · from v2\n\n"
        "  ```text\n  first line\n\n  second line\n  ```\n"
    ) in text
    assert not [line for line in text.splitlines() if line != line.rstrip()]
    tokens = _blocks(text)
    assert [token.content for token in tokens if token.type == "fence"] == [
        "first line\n\nsecond line\n",
        "a\n\n\nb\n",
    ]


def test_the_next_prompt_runs_a_constant_number_of_queries(version, notes, mentor, reviewer):
    client = client_for(mentor)
    with CaptureQueriesContext(connection) as few:
        _get(client, version)
    for index in range(20):
        root = services.comment_create(version=version, author=mentor, body=f"n{index}", frame=index)
        services.comment_create(version=version, author=reviewer, body="yes", parent=root)
    with CaptureQueriesContext(connection) as many:
        assert _get(client, version).json()["open_note_count"] == 24
    assert len(many) == len(few)


COMFYUI_PROVENANCE = {
    "c2pa": {"state": "absent"},
    "comfyui": {
        "positive_prompt": "open on a wide sky, slow tilt down",
        "seed": 987654321,
        "models": ["wan2.1_t2v_14B.safetensors"],
    },
}


def test_a_comfyui_export_with_no_generation_gives_the_files_prompt_model_and_seed(shot, viewer):
    version = VersionFactory(shot=shot, generation={}, provenance=COMFYUI_PROVENANCE)
    client = client_for(viewer)
    data = client.get(f"/api/v1/versions/{version.pk}/next-prompt/").json()
    assert data["generation"] == {
        "model": "wan2.1_t2v_14B.safetensors",
        "prompt": "open on a wide sky, slow tilt down",
        "seed": 987654321,
    }
    assert data["read_from_file"] == ["model", "prompt", "seed"]
    markdown = client.get(f"/api/v1/versions/{version.pk}/next-prompt/", {"format": "md"}).content.decode()
    assert "open on a wide sky, slow tilt down" in markdown
    assert "- Seed: `987654321`" in markdown
    assert "(Model, prompt, seed: read from the file's metadata.)" in markdown
    assert "(no prompt recorded)" not in markdown

    # The version says the same, for the takes menu and the version page.
    settings = client.get(f"/api/v1/versions/{version.pk}/").json()["take_settings"]
    assert settings == {
        "model": "wan2.1_t2v_14B.safetensors",
        "seed": "987654321",
        "prompt": "open on a wide sky, slow tilt down",
        "read_from_file": ["model", "seed", "prompt"],
    }


def test_what_the_director_recorded_wins_over_the_file(shot, viewer):
    version = VersionFactory(shot=shot, generation={"seed": 7}, provenance=COMFYUI_PROVENANCE)
    data = client_for(viewer).get(f"/api/v1/versions/{version.pk}/next-prompt/").json()
    assert data["generation"]["seed"] == 7
    assert data["read_from_file"] == ["model", "prompt"]


def test_what_the_file_says_is_given_without_bidirectional_controls(shot, viewer):
    provenance = {"comfyui": {"positive_prompt": "harbour\u202egnp.exe", "seed": 1, "models": ["m\u2066x"]}}
    version = VersionFactory(shot=shot, generation={}, provenance=provenance)
    settings = client_for(viewer).get(f"/api/v1/versions/{version.pk}/").json()["take_settings"]
    assert (settings["prompt"], settings["model"]) == ("harbourgnp.exe", "mx")
