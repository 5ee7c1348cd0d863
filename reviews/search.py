"""Search across a project: which take said or was told what, and with which model and seed.

On PostgreSQL this is full-text search (``websearch_to_tsquery``, so people may type
``"wide sky" -night``) over each version's generation metadata (weight A), its note (B) and
its provenance's ``search_text`` (C; docs/provenance.md), plus its comments' bodies; both
documents have a GIN expression index (migrations 0014, 0016) and the queries below use the very same
expressions, so the planner can use them. On SQLite, ``make run``'s default, a plain
``icontains`` stands in, ranked by how many of those places match; SQLite's LIKE folds the
case of ASCII letters only ("ñandú" does not find "Ñandú" there).

A page of hits is one query (with its snippets), whatever the number of hits.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import (
    Case,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields import TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce

from reviews.models import Comment, Project, Version
from reviews.take_settings import without_bidi_controls

# The text search configuration: English stemming, so "hesitates" finds "hesitation".
CONFIG = "english"

# Of the provenance only its ``search_text`` (docs/provenance.md) is searched: the rest holds
# fixed wording ("proxy", "absent"), keys, and the negative prompt (what the take avoids).
_SEARCH_TEXT_SQL = "coalesce(\"provenance\" ->> 'search_text', '')"
_MODEL_SQL = "coalesce(\"generation\" ->> 'model', '')"
# PostgreSQL's parser keeps "wan2.1_t2v_14B.safetensors" as one token: model names are also
# indexed with these separators as spaces, and queries are also tried so (``_SEPARATED``).
_SEPARATORS = "._-"
_SEPARATED = r"(?<=\w)[._-](?=\w)"


def _parts_sql(sql: str) -> str:
    return f"translate({sql}, '{_SEPARATORS}', '   ')"


# PostgreSQL's parser reads "<lora:grain_v2:0.8>" or "a<b and c>d" as markup tags and drops them,
# from the index and from snippets alike. Angle brackets are read as these look-alikes instead
# (words either side stay words), in the documents, the snippets' text and the query
# (``_ANGLES``): U+2039 and U+203A, so a snippet shows the LoRA tag between those.
_ANGLES = str.maketrans("<>", "\u2039\u203a")


def _angles_sql(sql: str) -> str:
    return f"translate({sql}, '<>', '\u2039\u203a')"


# Both expressions are also those of the GIN indexes of migration 0018; change them together.
# Columns are unqualified: Django gives tables aliases in subqueries, and no table joined here
# has a column of these names but the one meant.
VERSION_DOCUMENT_SQL = (
    "(setweight(jsonb_to_tsvector('english'::regconfig, "
    f"{_angles_sql(chr(34) + 'generation' + chr(34) + '::text')}::jsonb,"
    ' \'["string", "numeric"]\'::jsonb)'
    f" || to_tsvector('english'::regconfig, {_parts_sql(_MODEL_SQL)}), 'A')"
    f" || setweight(to_tsvector('english'::regconfig, {_angles_sql(chr(34) + 'note' + chr(34))}), 'B')"
    f" || setweight(to_tsvector('english'::regconfig, {_angles_sql(_SEARCH_TEXT_SQL)} || ' ' || {_parts_sql(_SEARCH_TEXT_SQL)}), 'C'))"
)
COMMENT_DOCUMENT_SQL = f"to_tsvector('english'::regconfig, {_angles_sql(chr(34) + 'body' + chr(34))})"

# The text a snippet is cut from: the note, generation's values, the provenance's search_text.
_VERSION_TEXT_SQL = _angles_sql(
    "concat_ws(' … ', NULLIF(\"note\", ''),"
    " (SELECT string_agg(value, ' ') FROM jsonb_each_text(\"generation\")"
    " WHERE jsonb_typeof(\"generation\" -> key) IN ('string', 'number')),"
    f" NULLIF(replace({_SEARCH_TEXT_SQL}, E'\\n', ' · '), ''))"
)
# A comment counts for half as much as the version's own words.
COMMENT_WEIGHT = 0.5
# How much of the text the fallback's snippet shows, in characters.
SNIPPET_CHARACTERS = 160


def full_text_available() -> bool:
    return connection.vendor == "postgresql"


def _filtered(versions: QuerySet[Version], *, model: str | None, seed: str | None) -> QuerySet[Version]:
    """``model`` (any case, with or without a file extension: "wan2.1_t2v_14B" is
    "wan2.1_t2v_14B.safetensors", "wan2" is neither): generation's, else one of the file's ComfyUI
    models, else the one guessed from the file name; ``seed``: generation's, else ComfyUI's."""
    if model:
        versions = versions.annotate(
            generation_model=KT("generation__model"),
            comfyui_models=Cast(KT("provenance__comfyui__models"), TextField()),
            guessed_model=KT("provenance__filename__model"),
        )
        # Both databases read these patterns alike: literal text escaped, a group, a class, bounds.
        name = re.escape(model) + r"(\.[a-z0-9]{1,12})?"
        versions = versions.filter(
            Q(generation_model__iregex=f"^{name}$")
            | (
                Q(generation_model__isnull=True)
                & (
                    # The models are a JSON list of names, each between quotes.
                    Q(comfyui_models__iregex=f'"{name}"') | Q(guessed_model__iexact=model)
                )
            )
        )
    if seed:
        # As text on both databases: a JSON number 42 and a string "42" are both "42", and the
        # seed asked for is compared as text, never parsed as JSON (SQLite's key lookups would).
        versions = versions.annotate(
            generation_seed=Cast(KT("generation__seed"), TextField()),
            comfyui_seed=Cast(KT("provenance__comfyui__seed"), TextField()),
        ).filter(Q(generation_seed=seed) | Q(generation_seed__isnull=True, comfyui_seed=seed))
    return versions


def search_versions(
    *,
    project: Project,
    q: str,
    model: str | None = None,
    seed: str | None = None,
    match: str = "all",
    full_text: bool | None = None,
) -> QuerySet[Version]:
    """The project's versions matching ``q``, best first, each with ``rank`` (a float, higher is
    better) and ``snippet`` (a short excerpt with the matching words between « and », or the
    start of the text that matched).

    ``model`` (any case) and ``seed`` (as written in ``generation``) narrow the hits.
    ``match``: ``"all"`` (every word, as a search engine) or ``"any"`` (at least one of the
    words, best first: for a question typed as a sentence; quotes and ``-word`` are not read then).
    ``full_text`` defaults to whether the database is PostgreSQL.
    """
    versions = Version.objects.filter(shot__project=project).select_related("shot")
    versions = _filtered(versions, model=model, seed=seed)
    if full_text is None:
        full_text = full_text_available()
    if match == "any":
        words = any_words(q)
        if not words:
            return versions.none()
        if full_text:
            return _full_text(versions, " or ".join(words))
        return _contains(versions, q, any_word=True)
    if full_text:
        return _full_text(versions, q)
    return _contains(versions, q)


def any_words(q: str) -> list[str]:
    """The plain words of ``q`` for ``match="any"``: no quotes, no ``-word``, no ``or``."""
    words = re.findall(r"[^\s\"]+", q)
    return [word for word in words if not word.startswith("-") and word.casefold() != "or"]


def _full_text(versions: QuerySet[Version], q: str) -> QuerySet[Version]:
    q = q.translate(_ANGLES)
    query = SearchQuery(q, search_type="websearch", config=CONFIG)
    # "wan2.1_t2v_14B" is one token of the query: also look for its parts ("-night" stays a NOT).
    parts = re.sub(_SEPARATED, " ", q)
    if parts != q:
        query = query | SearchQuery(parts, search_type="websearch", config=CONFIG)
    document = RawSQL(VERSION_DOCUMENT_SQL, [], output_field=SearchVectorField())
    matching_comments = (
        Comment.objects.filter(deleted_at__isnull=True)
        .annotate(document=RawSQL(COMMENT_DOCUMENT_SQL, [], output_field=SearchVectorField()))
        .filter(document=query)
    )
    best_comment = (
        matching_comments.filter(version=OuterRef("pk"))
        .annotate(comment_rank=SearchRank(F("document"), query))
        .order_by("-comment_rank", "id")
    )
    versions = versions.annotate(document=document).filter(
        # The comments' own GIN index finds the commented versions, apart from the versions' index.
        Q(document=query) | Q(pk__in=matching_comments.values("version_id"))
    )
    versions = versions.annotate(
        comment_rank=Subquery(best_comment.values("comment_rank")[:1], output_field=FloatField()),
        matched_comment=Subquery(best_comment.values("body")[:1]),
    )
    own_rank = SearchRank(F("document"), query)
    text = RawSQL(_VERSION_TEXT_SQL, [], output_field=TextField())
    return versions.annotate(
        rank=Cast(own_rank, FloatField()) + COMMENT_WEIGHT * Coalesce(F("comment_rank"), Value(0.0)),
        snippet_source=Case(
            When(document=query, then=text),
            default=Func(F("matched_comment"), Value("<>"), Value("\u2039\u203a"), function="translate"),
            output_field=TextField(),
        ),
        snippet=_headline(F("snippet_source"), query),
    ).order_by("-rank", "shot__order", "shot__code", "number")


def _headline(text: Any, query: SearchQuery) -> Any:
    return SearchHeadline(
        text,
        query,
        config=CONFIG,
        start_sel="«",
        stop_sel="»",
        max_words=20,
        min_words=8,
        max_fragments=1,
    )


# How much a word found in each place of a version counts in the fallback's rank.
_PLACE_WEIGHTS = {"generation": 3, "note": 2, "provenance": 1}


def _contains(versions: QuerySet[Version], q: str, *, any_word: bool = False) -> QuerySet[Version]:
    """The fallback without full-text search: every word of ``q`` somewhere, in any case; or,
    with ``any_word``, any of them, ranked by how many are found and where."""
    words = any_words(q) if any_word else q.split()
    lookups = {"note": "note", "generation": "generation_text", "provenance": "provenance_text"}
    # Per word, whether each place holds it: "all" wants the word in one place or another for
    # every word of a place's condition; "any" adds up the words found.
    found = [
        {place: Q(**{f"{field}__icontains": word}) for place, field in lookups.items()} for word in words
    ]
    comment_filter = Q()
    for word in words:
        word_filter = Q(body__icontains=word)
        comment_filter = (
            (comment_filter | word_filter) if any_word and comment_filter else comment_filter & word_filter
        )
    comment_match = Comment.objects.filter(version=OuterRef("pk"), deleted_at__isnull=True).filter(
        comment_filter
    )
    versions = versions.annotate(
        generation_text=_generation_values_text(),
        provenance_text=KT("provenance__search_text"),
        matched_comment=Subquery(comment_match.order_by("id").values("body")[:1]),
    )

    def hit(condition: Q) -> Case:
        return Case(When(condition, then=1), default=0, output_field=IntegerField())

    if any_word:
        score = sum(
            (weight * hit(word[place]) for word in found for place, weight in _PLACE_WEIGHTS.items()),
            Value(0),
        )
    else:
        every = {place: Q() for place in _PLACE_WEIGHTS}
        for word in found:
            for place in every:
                every[place] &= word[place]
        score = sum((weight * hit(every[place]) for place, weight in _PLACE_WEIGHTS.items()), Value(0))
    comment_hit = Case(When(matched_comment__isnull=False, then=1), default=0, output_field=IntegerField())
    versions = versions.annotate(rank=Cast(score + comment_hit, FloatField()))
    return versions.filter(rank__gt=0).order_by("-rank", "shot__order", "shot__code", "number")


def _generation_values_text() -> Any:
    """The values of ``generation`` as plain text. SQLite keeps JSON with non-ASCII letters
    escaped (``\\u00e9``), so its values are read out with ``json_each``, which unescapes them."""
    if connection.vendor == "sqlite":
        return RawSQL(
            "(SELECT group_concat(value, ' ') FROM json_each(\"generation\"))", [], output_field=TextField()
        )
    return Cast("generation", TextField())


def _marked(text: str, words: list[str]) -> str:
    """``text`` with each occurrence of ``words`` (any case) between « and », as PostgreSQL's headline."""
    words = [word for word in words if word]
    if not words:
        return text
    either = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    # Whole words first ("the" is not marked inside "then"; "_" and "." part a model's name, so
    # "t2v" is a word of "wan2.1_t2v_14B"); inside words only if no whole one is there.
    whole = re.compile(rf"(?<![^\W_])(?:{either})(?![^\W_])", re.I)
    pattern = whole if whole.search(text) else re.compile(either, re.I)
    return pattern.sub(lambda found: f"«{found.group(0)}»", text)


def snippet_of(version: Version, q: str) -> str:
    """The excerpt a hit shows: PostgreSQL's headline where it marks a word, else a cut around
    the first word found (a part of a model name, "t2v" of "wan2.1_t2v_14B", is found by the index
    but not marked by the headline), else the headline as it is."""
    snippet = getattr(version, "snippet", None)
    if not (snippet and "«" in snippet):
        snippet = _cut_around(version, q) or snippet or ""
    # A file's tag may hold a right-to-left override: it would reverse how the rest reads.
    return without_bidi_controls(snippet)


def _cut_around(version: Version, q: str) -> str:
    generation = version.generation if isinstance(version.generation, dict) else {}
    provenance = version.provenance if isinstance(version.provenance, dict) else {}
    texts = [
        version.note,
        " ".join(str(value) for value in generation.values() if isinstance(value, (str, int, float))),
        getattr(version, "matched_comment", None) or "",
        str(provenance.get("search_text") or "").replace("\n", " · "),
    ]
    words = [word.casefold() for word in q.split()]
    for text in texts:
        folded = text.casefold()
        if len(folded) != len(text):  # "ß" folds to "ss": positions must stay those of text
            folded = text.lower()
        at = next((folded.find(word) for word in words if word and word in folded), -1)
        if at >= 0:
            start = max(0, at - SNIPPET_CHARACTERS // 3)
            if start:
                # From the start of a word, not the middle of one.
                space = text.rfind(" ", 0, start + 1)
                start = space + 1 if space >= 0 and at - space < SNIPPET_CHARACTERS else 0
            end = start + SNIPPET_CHARACTERS
            if end < len(text):
                space = text.rfind(" ", at, end)
                end = space if space > at else end
            excerpt = _marked(text[start:end], q.split())
            return ("…" if start else "") + excerpt + ("…" if end < len(text) else "")
    return ""
