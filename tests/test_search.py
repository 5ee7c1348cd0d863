"""Issue 14's project search: which take said or was told what, and with which model and seed."""

from __future__ import annotations

import pytest
from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

from reviews import search
from reviews.models import Comment, Version
from tests.conftest import client_for
from tests.factories import CommentFactory, ProjectFactory, ShotFactory, VersionFactory


@pytest.fixture
def takes(project):
    sky = ShotFactory(project=project, code="SH020", title="The sky")
    touch = ShotFactory(project=project, code="SH010", title="The touch")
    return {
        "wide": VersionFactory(
            shot=sky,
            number=1,
            generation={"model": "veo-3", "prompt": "a wide sky over the dunes at dusk", "seed": 1234},
        ),
        "wide_kling": VersionFactory(
            shot=sky,
            number=2,
            generation={"model": "kling-2.1", "prompt": "wide sky, slow push in", "seed": 99},
        ),
        "touch": VersionFactory(
            shot=touch,
            number=1,
            note="her hand hesitates before the touch",
            generation={"model": "veo-3", "prompt": "close-up of two hands", "seed": 7},
        ),
        "provenance": VersionFactory(
            shot=touch,
            number=2,
            generation={"model": "runway-gen4", "prompt": "hands again", "seed": 8},
            provenance={
                "search_text": "exported from Premiere by Kestrel Studio",
                "c2pa": {"tool": "Kestrel"},
            },
        ),
    }


def find(user, project, **query):
    response = client_for(user).get(f"/api/v1/projects/{project.pk}/search/", query)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_one_request_answers_which_seed_made_the_wide_sky_shot(director, project, takes):
    hits = find(director, project, q="wide sky", model="VEO-3")
    assert len(hits) == 1
    hit = hits[0]
    assert hit["version"] == takes["wide"].pk
    assert (hit["shot_code"], hit["number"], hit["model"], hit["seed"]) == ("SH020", 1, "veo-3", "1234")
    assert hit["rank"] > 0
    assert "«wide»" in hit["snippet"]
    assert "«sky»" in hit["snippet"]


def test_it_finds_a_version_by_a_word_of_its_note_stemmed(director, project, takes):
    hits = find(director, project, q="hesitating")
    assert [hit["version"] for hit in hits] == [takes["touch"].pk]
    assert "«hesitates»" in hits[0]["snippet"]


def test_it_finds_a_version_by_its_comments(director, project, takes):
    CommentFactory(version=takes["wide_kling"], body="The horizon wobbles in the last second")
    hits = find(director, project, q="horizon wobbles")
    assert [hit["version"] for hit in hits] == [takes["wide_kling"].pk]
    assert "«horizon»" in hits[0]["snippet"]


def test_it_finds_a_version_by_the_strings_of_its_provenance(director, project, takes):
    hits = find(director, project, q="kestrel")
    assert [hit["version"] for hit in hits] == [takes["provenance"].pk]


def test_it_filters_by_seed(director, project, takes):
    assert [hit["version"] for hit in find(director, project, q="wide sky", seed="99")] == [
        takes["wide_kling"].pk
    ]
    assert find(director, project, q="wide sky", seed="100") == []


def test_the_prompt_outranks_a_comment_and_a_comment_outranks_nothing(director, project, takes):
    # The words in a take's own prompt (weight A) count for more than in a comment on another take.
    CommentFactory(version=takes["touch"], body="could we try a wide sky here too?")
    hits = find(director, project, q="wide sky")
    ranks = {hit["version"]: hit["rank"] for hit in hits}
    assert set(ranks) == {takes["wide"].pk, takes["wide_kling"].pk, takes["touch"].pk}
    assert ranks[takes["touch"].pk] < min(ranks[takes["wide"].pk], ranks[takes["wide_kling"].pk])
    assert [hit["rank"] for hit in hits] == sorted(ranks.values(), reverse=True)


def test_a_phrase_and_an_exclusion_follow_web_search_syntax(director, project, takes):
    assert [hit["version"] for hit in find(director, project, q='"wide sky" -dunes')] == [
        takes["wide_kling"].pk
    ]


def test_it_leaves_deleted_comments_out(director, project, takes):
    from django.utils import timezone

    CommentFactory(version=takes["wide"], body="", deleted_at=timezone.now())
    CommentFactory(version=takes["touch"], body="zebra crossing", deleted_at=timezone.now())
    assert find(director, project, q="zebra") == []


def test_it_never_shows_another_projects_versions(director, project, takes):
    other = ProjectFactory(name="Elsewhere")
    VersionFactory(shot=ShotFactory(project=other), generation={"prompt": "a wide sky"})
    assert {hit["version"] for hit in find(director, project, q="wide sky")} == {
        takes["wide"].pk,
        takes["wide_kling"].pk,
    }


def test_an_outsider_gets_404(outsider, project, takes):
    response = client_for(outsider).get(f"/api/v1/projects/{project.pk}/search/", {"q": "sky"})
    assert response.status_code == 404


@pytest.mark.parametrize("query", [{}, {"q": ""}, {"q": "x" * 201}, {"q": "sky\x00"}])
def test_it_refuses_a_missing_or_unusable_query(director, project, query):
    response = client_for(director).get(f"/api/v1/projects/{project.pk}/search/", query)
    assert response.status_code == 400
    assert "q" in response.json()


def test_a_query_of_only_stop_words_finds_nothing_rather_than_failing(director, project, takes):
    assert find(director, project, q="the and of") == []
    assert find(director, project, q="!!! ((") == []


def test_it_costs_the_same_queries_for_one_hit_or_many(director, project, takes):
    client = client_for(director)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/api/v1/projects/{project.pk}/search/", {"q": "sky"}).status_code == 200
        return len(captured)

    one = queries()
    sky = takes["wide"].shot
    for number in range(3, 13):
        version = VersionFactory(shot=sky, number=number, generation={"prompt": f"sky number {number}"})
        CommentFactory(version=version, body="more sky")
    assert queries() == one


@pytest.mark.parametrize(
    ("model", "document", "index"),
    [
        (Version, search.VERSION_DOCUMENT_SQL, "version_search_idx"),
        (Comment, search.COMMENT_DOCUMENT_SQL, "comment_search_idx"),
    ],
)
def test_the_searched_documents_are_those_the_gin_indexes_hold(takes, model, document, index):
    # With sequential scans off, PostgreSQL answers a match from the index only if the query's
    # expression is the very one the migration indexed.
    matches = model.objects.annotate(document=RawSQL(document, [], output_field=SearchVectorField())).filter(
        document=SearchQuery("wide sky", search_type="websearch", config=search.CONFIG)
    )
    sql, params = matches.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan


def test_the_search_is_in_the_schema(director):
    schema = client_for(director).get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/projects/{project_id}/search/"]["get"]
    assert {"q", "model", "seed"} <= {parameter["name"] for parameter in operation["parameters"]}


# --- without PostgreSQL's full-text search (SQLite, make run's default) -------


def test_the_fallback_finds_every_word_in_any_case(project, takes):
    CommentFactory(version=takes["wide_kling"], body="The HORIZON wobbles")
    found = search.search_versions(project=project, q="horizon wobbles", full_text=False)
    assert [version.pk for version in found] == [takes["wide_kling"].pk]
    assert "HORIZON" in search.snippet_of(found[0], "horizon wobbles")


def test_the_fallback_ranks_the_prompt_above_a_comment_and_filters_by_model_and_seed(project, takes):
    CommentFactory(version=takes["touch"], body="a wide sky here too?")
    found = list(search.search_versions(project=project, q="wide sky", full_text=False))
    assert found[-1].pk == takes["touch"].pk
    assert [
        version.pk
        for version in search.search_versions(project=project, q="sky", model="Kling-2.1", full_text=False)
    ] == [takes["wide_kling"].pk]
    assert [
        version.pk
        for version in search.search_versions(project=project, q="sky", seed="1234", full_text=False)
    ] == [takes["wide"].pk]


# --- what of the provenance is searched: its search_text only -------------------


def _comfyui_take(project):
    """A take that says nothing in generation: its model and seed are the file's ComfyUI tags."""
    from reviews.media.provenance import search_text

    provenance = {
        "c2pa": {"state": "absent"},
        "comfyui": {
            "positive_prompt": "a lighthouse in a storm at dusk",
            "negative_prompt": "blurry, watermark",
            "seed": 156680208700286,
            "models": ["wan2.1_t2v_14B.safetensors"],
            "loras": [],
        },
        "filename": None,
        "proxy": {"credentialed": False, "note": "The proxy is a re-encode carrying no credentials."},
    }
    provenance["search_text"] = search_text(provenance)
    return VersionFactory(
        shot=ShotFactory(project=project, code="SH030"), generation={}, provenance=provenance
    )


@pytest.mark.parametrize("full_text", [True, False])
def test_it_finds_nothing_by_the_negative_prompt_or_the_provenances_fixed_wording(project, full_text):
    take = _comfyui_take(project)
    for q in ("watermark", "credentials", "proxy", "absent", "positive_prompt", "comfyui"):
        assert list(search.search_versions(project=project, q=q, full_text=full_text)) == [], q
    assert [v.pk for v in search.search_versions(project=project, q="lighthouse", full_text=full_text)] == [
        take.pk
    ]


@pytest.mark.parametrize("full_text", [True, False])
def test_a_take_known_only_by_its_comfyui_tags_is_found_by_model_and_seed(project, full_text):
    take = _comfyui_take(project)
    for model in ("wan2.1_t2v_14B", "WAN2.1_T2V_14B.safetensors"):
        found = search.search_versions(project=project, q="lighthouse", model=model, full_text=full_text)
        assert [v.pk for v in found] == [take.pk], model
    assert (
        list(search.search_versions(project=project, q="lighthouse", model="wan2.1", full_text=full_text))
        == []
    )
    found = search.search_versions(
        project=project, q="lighthouse", seed="156680208700286", full_text=full_text
    )
    assert [v.pk for v in found] == [take.pk]
    assert list(search.search_versions(project=project, q="lighthouse", seed="1", full_text=full_text)) == []


@pytest.mark.parametrize("full_text", [True, False])
def test_a_model_asked_without_its_extension_finds_it_wherever_it_was_written(project, full_text):
    from_the_file = _comfyui_take(project)
    typed = VersionFactory(
        shot=from_the_file.shot,
        generation={"model": "WAN2.1_t2v_14B.safetensors", "prompt": "a lighthouse at noon"},
    )

    def found(model):
        hits = search.search_versions(project=project, q="lighthouse", model=model, full_text=full_text)
        return {version.pk for version in hits}

    both = {from_the_file.pk, typed.pk}
    assert found("wan2.1_t2v_14B") == both
    assert found("wan2.1_t2v_14b.SAFETENSORS") == both
    for near in (
        "wan2",
        "wan2.1",
        "t2v_14B",
        "wan2.1_t2v_14B.safe",
        "wan2.1_t2v_14B.safetensors.x",
        "wan2.1_t2v_1.B",
    ):
        assert found(near) == set(), near


def test_a_hit_reports_the_model_seed_and_prompt_of_the_comfyui_tags(director, project):
    take = _comfyui_take(project)
    [hit] = find(director, project, q="lighthouse", seed="156680208700286")
    assert (hit["version"], hit["model"], hit["seed"]) == (
        take.pk,
        "wan2.1_t2v_14B.safetensors",
        "156680208700286",
    )
    assert hit["prompt"] == "a lighthouse in a storm at dusk"


@pytest.mark.parametrize("q", ["wan2.1_t2v_14B", "wan2.1_t2v_14B.safetensors", "t2v", "wan2.1"])
@pytest.mark.parametrize("full_text", [True, False])
def test_a_model_name_is_found_whole_or_by_its_parts(project, q, full_text):
    take = _comfyui_take(project)
    [found] = search.search_versions(project=project, q=q, full_text=full_text)
    assert found.pk == take.pk
    assert f"«{q.casefold()}»" in search.snippet_of(found, q).casefold(), "the snippet marks what was found"


def test_a_model_name_in_generation_is_found_by_its_parts_too(director, project, takes):
    assert [hit["version"] for hit in find(director, project, q="kling 2.1")] == [takes["wide_kling"].pk]
    assert [hit["version"] for hit in find(director, project, q="runway")] == [takes["provenance"].pk]


@pytest.mark.parametrize("full_text", [True, False])
def test_a_snippet_shows_no_json(director, project, full_text):
    take = _comfyui_take(project)
    [found] = search.search_versions(project=project, q="lighthouse", full_text=full_text)
    snippet = search.snippet_of(found, "lighthouse")
    assert "lighthouse" in snippet
    for syntax in ("{", "}", '":', "'", "[", "\n"):
        assert syntax not in snippet, (syntax, snippet)
    assert found.pk == take.pk


@pytest.mark.parametrize("full_text", [True, False])
def test_a_snippet_carries_no_bidi_control_from_a_files_tag(project, full_text):
    from reviews.media.provenance import search_text

    take = _comfyui_take(project)
    take.provenance["comfyui"]["positive_prompt"] = "a lighthouse \u202eat dusk\u202c in a storm"
    take.provenance["search_text"] = search_text(take.provenance)
    take.save(update_fields=["provenance"])

    [found] = search.search_versions(project=project, q="lighthouse", full_text=full_text)
    snippet = search.snippet_of(found, "lighthouse")
    assert "lighthouse" in snippet
    assert "at dusk" in snippet
    assert not {"\u202e", "\u202c"} & set(snippet), repr(snippet)


def test_the_fallbacks_snippet_starts_and_ends_at_a_word(project):
    note = " ".join(f"word{n}" for n in range(60)) + " lighthouse " + " ".join(f"tail{n}" for n in range(60))
    VersionFactory(shot=ShotFactory(project=project), note=note)
    [found] = search.search_versions(project=project, q="lighthouse", full_text=False)
    snippet = search.snippet_of(found, "lighthouse")
    assert snippet.startswith("…word"), snippet
    assert snippet.endswith("…"), snippet
    assert "«lighthouse»" in snippet
    words = snippet.strip("…").replace("«", "").replace("»", "").split(" ")
    assert all(word in note.split(" ") for word in words), snippet


@pytest.mark.parametrize("full_text", [True, False])
def test_a_question_typed_as_a_sentence_finds_the_takes_with_some_of_its_words_best_first(
    project, takes, full_text
):
    question = "which seed made the wide sky shot?"
    assert list(search.search_versions(project=project, q=question, full_text=full_text)) == []
    found = list(search.search_versions(project=project, q=question, match="any", full_text=full_text))
    assert {version.pk for version in found[:2]} == {takes["wide"].pk, takes["wide_kling"].pk}
    # Quotes and -words are not read in that mode: "-night" does not match every take without it.
    assert search.any_words('"wide sky" -night or dusk') == ["wide", "sky", "dusk"]


def test_the_api_says_which_match_it_takes(director, project, takes):
    client = client_for(director)
    url = f"/api/v1/projects/{project.pk}/search/"
    answer = client.get(url, {"q": "which seed made the wide sky shot?", "match": "any"})
    assert answer.status_code == 200
    assert answer.json()["count"] >= 2
    refused = client.get(url, {"q": "sky", "match": "some"})
    assert refused.status_code == 400
    assert "match" in refused.json()


def test_words_between_angle_brackets_are_found_and_shown_on_postgresql(project):
    take = VersionFactory(
        shot=ShotFactory(project=project, code="SH040"),
        generation={"prompt": "moody <lora:grain_v2:0.8> harbour at night, a<b and c>d", "model": "sdxl"},
    )
    CommentFactory(version=take, body="drop the <lora:grain_v2> look, it is too noisy")

    for q in ("lora", "grain_v2", "harbour", "noisy"):
        assert [v.pk for v in search.search_versions(project=project, q=q, full_text=True)] == [take.pk], q
    [found] = search.search_versions(project=project, q="harbour", full_text=True)
    snippet = search.snippet_of(found, "harbour")
    assert "\u2039lora:grain_v2:0.8\u203a" in snippet


def test_the_fallback_marks_whole_words_before_parts_of_words():
    assert search._marked("then the sky opens", ["the", "sky"]) == "then «the» «sky» opens"
    assert search._marked("wan2.1_t2v_14B", ["t2v"]) == "wan2.1_«t2v»_14B"
    assert search._marked("thence", ["the"]) == "«the»nce", "inside a word only when no whole one is there"


def test_a_hits_prompt_carries_no_bidi_control(director, project):
    VersionFactory(
        shot=ShotFactory(project=project), generation={"prompt": "a kite \u202eover the dunes\u202c at noon"}
    )
    [hit] = find(director, project, q="kite")
    assert hit["prompt"] == "a kite over the dunes at noon"
