"""Shapes of issue 14's takes: decisions, recommendations, lineage trees and project search."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews.models import Decision, Version
from reviews.serializers.users import UserSerializer
from reviews.take_settings import generation_value, without_bidi_controls

# Ids are bigint in the database: a larger number is a 400, not a database error.
_MAX_ID = 2**63 - 1


def parent_version_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=_MAX_ID,
        help_text="The id of the take of the same shot this one was regenerated from; null for none.",
    )


@extend_schema_field(UserSerializer(many=True))
class RecommendedByField(serializers.Field):
    """Who recommends this take, oldest first (``version.recommendations`` prefetched with users)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, version: Version) -> list[dict[str, Any]]:
        users = [recommendation.user for recommendation in version.recommendations.all()]
        return UserSerializer(users, many=True).data


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=Decision.choices,
        help_text="selected (the shot's chosen take; the previous one becomes a candidate), rejected or candidate.",
    )


class VersionNodeSerializer(serializers.Serializer):
    """One take in a shot's lineage, with the takes regenerated from it."""

    id = serializers.IntegerField(source="version.pk")
    number = serializers.IntegerField(source="version.number")
    parent_version = serializers.IntegerField(source="version.parent_version_id", allow_null=True)
    decision = serializers.ChoiceField(choices=Decision.choices, source="version.decision")
    review_status = serializers.CharField(source="version.review_status")
    created_at = serializers.DateTimeField(source="version.created_at")
    model = serializers.SerializerMethodField()
    seed = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()

    def get_model(self, node: dict[str, Any]) -> str | None:
        return generation_value(node["version"], "model")

    def get_seed(self, node: dict[str, Any]) -> str | None:
        return generation_value(node["version"], "seed")

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_children(self, node: dict[str, Any]) -> list[dict[str, Any]]:
        return [VersionNodeSerializer(child).data for child in node["children"]]


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=200,
        help_text='What to look for: words, "a phrase", -word to leave out, "or" between alternatives.',
    )
    model = serializers.CharField(
        required=False, max_length=200, help_text="Only takes of this model (any case)."
    )
    seed = serializers.CharField(required=False, max_length=100, help_text="Only takes with this seed.")
    match = serializers.ChoiceField(
        choices=["all", "any"],
        default="all",
        help_text="all: every word (default); any: at least one of the words, best first.",
    )


class SearchHitSerializer(serializers.Serializer):
    version = serializers.IntegerField(source="pk")
    shot = serializers.IntegerField(source="shot_id")
    shot_code = serializers.CharField(source="shot.code")
    number = serializers.IntegerField(help_text="The take number in its shot.")
    decision = serializers.ChoiceField(choices=Decision.choices)
    review_status = serializers.CharField()
    model = serializers.SerializerMethodField()
    seed = serializers.SerializerMethodField()
    prompt = serializers.SerializerMethodField()
    rank = serializers.FloatField(help_text="Higher is a better match; only comparable within one search.")
    snippet = serializers.SerializerMethodField(help_text="Where it matched; matching words between « and ».")

    def get_model(self, version: Version) -> str | None:
        return generation_value(version, "model")

    def get_seed(self, version: Version) -> str | None:
        return generation_value(version, "seed")

    def get_prompt(self, version: Version) -> str | None:
        # Whatever typed it, a right-to-left override would reverse how the rest of a hit reads.
        return without_bidi_controls(generation_value(version, "prompt"))

    def get_snippet(self, version: Version) -> str:
        from reviews.search import snippet_of

        return snippet_of(version, self.context.get("q", ""))
