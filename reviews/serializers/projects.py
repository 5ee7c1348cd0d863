"""Serializers for projects, their members and their shots."""

from __future__ import annotations

from fractions import Fraction
from functools import cached_property
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews import selectors
from reviews.identifiers import IdentifierError, normalise_identifier
from reviews.models import Membership, Project, ReviewStatus, Role, Shot, Version
from reviews.serializers.actions import MyActionsField
from reviews.serializers.users import display_name
from reviews.serializers.versions import VersionSummarySerializer
from reviews.timecode import TimecodeError, parse_rate, rate_label


@extend_schema_field(OpenApiTypes.NUMBER)
class RateField(serializers.Field):
    """A frame rate: in as 24, 23.976 or "30000/1001"; out as a number (23.976)."""

    default_error_messages = {"invalid": "{message}"}

    def to_internal_value(self, data: Any) -> Fraction:
        if isinstance(data, bool) or not isinstance(data, (int, float, str)):
            self.fail(
                "invalid", message="A frame rate is a number like 24 or 23.976, or a ratio like 30000/1001."
            )
        try:
            return parse_rate(data)
        except TimecodeError as error:
            self.fail("invalid", message=str(error))

    def to_representation(self, value: Fraction) -> float | int:
        return value.numerator if value.denominator == 1 else float(rate_label(value))


class ProjectSerializer(serializers.ModelSerializer):
    fps = RateField(
        required=False, help_text="Default frame rate for timecodes, e.g. 24, 23.976 or 30000/1001."
    )
    fps_rational = serializers.SerializerMethodField()
    my_role = serializers.CharField(read_only=True, allow_null=True)
    my_actions = MyActionsField()

    class Meta:
        model = Project
        fields = ["id", "name", "description", "fps", "fps_rational", "created_at", "my_role", "my_actions"]

    def validate_name(self, name: str) -> str:
        return _identifier(name, max_length=Project._meta.get_field("name").max_length, name=True)

    def get_fps_rational(self, project: Project) -> str:
        return f"{project.fps_numerator}/{project.fps_denominator}"


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    display_name = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["user", "username", "display_name", "role"]
        read_only_fields = ["user"]

    def get_display_name(self, membership: Membership) -> str:
        return display_name(membership.user)


class MemberCreateSerializer(serializers.Serializer):
    """Add someone by their exact username or email, or by id if you already work with them."""

    # Every way of not finding the account gets this one answer, so trying names,
    # emails or ids tells an outsider nothing about which accounts exist.
    NO_MATCH = (
        "No account you can add matches that: give the person's exact username or email "
        "(ask them for it), or the id of someone you already share a project with."
    )

    user = serializers.IntegerField(
        required=False, help_text="Only for someone you already share a project with."
    )
    username = serializers.CharField(required=False, max_length=150, help_text="Exact, in any case.")
    email = serializers.EmailField(required=False, help_text="Exact, in any case.")
    role = serializers.ChoiceField(choices=Role.choices)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [field for field in ("user", "username", "email") if field in attrs]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"detail": "Give exactly one of `username`, `email` or `user` (an id)."}
            )
        user = selectors.account_to_add(
            requester=self.context["requester"],
            user_id=attrs.get("user"),
            username=attrs.get("username"),
            email=attrs.get("email"),
        )
        if user is None:
            raise serializers.ValidationError({"detail": self.NO_MATCH})
        return {"user": user, "role": attrs["role"]}


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class SelectedVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()


class ShotSerializer(serializers.ModelSerializer):
    """A shot and the conversation of all its versions (selectors.shot_overviews_for)."""

    versions = serializers.SerializerMethodField()
    latest_version = serializers.SerializerMethodField()
    landing_version = serializers.SerializerMethodField()
    selected_version = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()

    class Meta:
        model = Shot
        fields = [
            "id",
            "project",
            "code",
            "title",
            "description",
            "order",
            "versions",
            "latest_version",
            "landing_version",
            "selected_version",
            "status",
        ]
        read_only_fields = ["project"]
        # The per-project uniqueness is the constraint's, answered in services with a clear message.
        validators: list = []

    @cached_property
    def _version_summary(self) -> VersionSummarySerializer:
        # One nested serializer for the whole list: building a serializer's fields costs more
        # than serializing a row with them (bench/README.md, the shot list).
        return VersionSummarySerializer(context=self.context)

    def _summary(self, version: Version | None) -> dict[str, Any] | None:
        return self._version_summary.to_representation(version) if version else None

    @extend_schema_field(VersionSummarySerializer(many=True))
    def get_versions(self, shot: Shot) -> list[dict[str, Any]]:
        return [self._summary(version) for version in _versions(shot, self.context)]

    @extend_schema_field(VersionSummarySerializer(allow_null=True))
    def get_latest_version(self, shot: Shot) -> dict[str, Any] | None:
        versions = _versions(shot, self.context)
        return self._summary(versions[-1] if versions else None)

    @extend_schema_field(VersionSummarySerializer(allow_null=True))
    def get_landing_version(self, shot: Shot) -> dict[str, Any] | None:
        """The version that matters: the newest activity, else the latest."""
        return self._summary(selectors.landing_version(_versions(shot, self.context)))

    @extend_schema_field(SelectedVersionSerializer(allow_null=True))
    def get_selected_version(self, shot: Shot) -> dict[str, Any] | None:
        """The chosen take (docs/takes.md), or null."""
        selected = selectors.selected_version(_versions(shot, self.context))
        return {"id": selected.pk, "number": selected.number} if selected else None

    @extend_schema_field(serializers.ChoiceField(choices=[*ReviewStatus.values, "no_version"]))
    def get_status(self, shot: Shot) -> str:
        # The chosen take's when there is one (docs/takes.md), else the contract's: the latest
        # version's. The pages show landing_version's.
        versions = _versions(shot, self.context)
        selected = selectors.selected_version(versions)
        if selected is not None:
            return selected.review_status
        return versions[-1].review_status if versions else "no_version"

    def validate_code(self, code: str) -> str:
        # Uniqueness without regard to case is the database's (services.shot_create).
        return _identifier(code, max_length=Shot._meta.get_field("code").max_length)


def _identifier(value: str, *, max_length: int, name: bool = False) -> str:
    try:
        value = normalise_identifier(value, name=name)
    except IdentifierError as error:
        raise serializers.ValidationError(str(error)) from None
    # NFKC may lengthen the text ("㍿" is four letters).
    if len(value) > max_length:
        raise serializers.ValidationError(f"Ensure this field has no more than {max_length} characters.")
    return value


def _versions(shot: Shot, context: dict[str, Any]) -> list[Version]:
    listed = getattr(shot, "version_list", None)
    if listed is None:
        # A shot not loaded through shot_overviews_for (just created or updated).
        listed = selectors.shot_overviews_for(context["request"].user).get(pk=shot.pk).version_list
        shot.version_list = listed
    return listed
