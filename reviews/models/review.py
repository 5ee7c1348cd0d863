"""The review domain: projects, their members, shots, versions and comments.

Invariants live in the database (constraints and, for a reply's version, a
composite foreign key added in a migration) so no code path can break them.
"""

from __future__ import annotations

import uuid
from fractions import Fraction
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from reviews.timecode import parse_rate


class Role(models.TextChoices):
    DIRECTOR = "director"
    MENTOR = "mentor"
    REVIEWER = "reviewer"
    VIEWER = "viewer"


class ReviewStatus(models.TextChoices):
    PENDING = "pending"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"


class Decision(models.TextChoices):
    """The director's judgement of a take: at most one per shot is the chosen (circled) take."""

    CANDIDATE = "candidate"
    SELECTED = "selected"
    REJECTED = "rejected"


class NoteCategory(models.TextChoices):
    """What a note is about, in the terms of the faults AI video generation is known for."""

    HANDS_AND_BODY = "hands_and_body", "Hands and body"
    FACE_AND_IDENTITY_DRIFT = "face_and_identity_drift", "Face and identity drift"
    MOTION_AND_PHYSICS = "motion_and_physics", "Motion and physics"
    MORPHING_AND_FLICKER = "morphing_and_flicker", "Morphing and flicker"
    TEXT_AND_GRAPHICS = "text_and_graphics", "Text and graphics"
    COMPOSITION_AND_FRAMING = "composition_and_framing", "Composition and framing"
    CAMERA = "camera", "Camera"
    LIGHT_AND_COLOUR = "light_and_colour", "Light and colour"
    AUDIO = "audio", "Audio"
    STORY_AND_EMOTION = "story_and_emotion", "Story and emotion"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    MUST_FIX = "must_fix", "Must fix"
    SUGGESTION = "suggestion", "Suggestion"


class ProcessingState(models.TextChoices):
    QUEUED = "queued"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class Project(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # The timecode rate before a clip is probed, as an exact rational.
    fps_numerator = models.PositiveIntegerField(default=24)
    fps_denominator = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="projects")

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fps_numerator__gt=0, fps_denominator__gt=0), name="project_fps_positive"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def fps(self) -> Fraction:
        return Fraction(self.fps_numerator, self.fps_denominator)

    @fps.setter
    def fps(self, value: Fraction | str | float) -> None:
        rate = parse_rate(value)
        self.fps_numerator, self.fps_denominator = rate.numerator, rate.denominator


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} on {self.project}"


class Shot(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="shots")
    code = models.CharField(max_length=64)
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    order = models.IntegerField(default=0)
    # Bumped in the same transaction as each upload: the row lock makes two
    # racing uploads take 1 and 2, and a deleted version's number is never reused.
    last_version_number = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "code", "id"]
        constraints = [
            # "SH010" and "sh010" look like one shot in every list: codes differ by more than case.
            models.UniqueConstraint(Lower("code"), "project", name="shot_unique_code_nocase"),
        ]

    def __str__(self) -> str:
        return self.code


def original_upload_to(version: Version, filename: str) -> str:
    # The stored name is ours; the person's filename is kept only as data, so a
    # hostile name cannot pick a path.
    name = PurePosixPath(filename).name
    # ".mp4" alone is a suffix with no stem to Python (a hidden file): it is still the type.
    suffix = (PurePosixPath(name).suffix or (name if name.startswith(".") else "")).lower()[:10]
    if not suffix[1:].isalnum() or not suffix[1:].isascii():
        suffix = ""
    return f"originals/{uuid.uuid4().hex}{suffix}"


class Version(models.Model):
    shot = models.ForeignKey(Shot, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)
    generation = models.JSONField(default=dict, blank=True)
    review_status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    decision = models.CharField(max_length=16, choices=Decision.choices, default=Decision.CANDIDATE)
    # The take this one was regenerated from ("regenerated from v2"); always of the same shot.
    parent_version = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    # What the uploaded file itself says of where it came from (C2PA, container tags, its name),
    # read before any transcode; read-only, kept apart from the director's own ``generation``.
    provenance = models.JSONField(default=dict, blank=True)

    file = models.FileField(upload_to=original_upload_to, max_length=255)
    original_filename = models.CharField(max_length=255)
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)

    processing_state = models.CharField(
        max_length=16, choices=ProcessingState.choices, default=ProcessingState.QUEUED
    )
    processing_progress = models.PositiveSmallIntegerField(default=0)
    processing_error = models.TextField(blank=True)
    processing_attempts = models.PositiveSmallIntegerField(default=0)
    # Each claim of the version starts a new run; a job of an older run finds
    # its id gone and changes nothing.
    processing_run = models.CharField(max_length=32, blank=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    # Filled by the probe; null until then. frame_count and duration are then replaced by the
    # rendered proxy's own, the timeline the API, the page and the player share.
    duration = models.FloatField(null=True, blank=True)
    fps_numerator = models.PositiveIntegerField(null=True, blank=True)
    fps_denominator = models.PositiveIntegerField(null=True, blank=True)
    variable_frame_rate = models.BooleanField(null=True, blank=True)
    frame_count = models.PositiveIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    video_codec = models.CharField(max_length=32, blank=True)
    pixel_format = models.CharField(max_length=32, blank=True)
    has_audio = models.BooleanField(null=True, blank=True)
    # The video stream reviewed (its index among the file's streams) and how many there were to
    # choose from: a file with several shows its default one.
    video_stream_index = models.PositiveSmallIntegerField(null=True, blank=True)
    video_stream_count = models.PositiveSmallIntegerField(null=True, blank=True)
    # The frame the poster shows; null until ready.
    poster_frame = models.PositiveIntegerField(null=True, blank=True)

    # The folder of the published run's files in the storage (reviews.media.storage); empty until ready.
    outputs_dir = models.CharField(max_length=255, blank=True)
    filmstrip = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["shot", "number"]
        constraints = [
            models.UniqueConstraint(fields=["shot", "number"], name="version_unique_number"),
            models.CheckConstraint(
                condition=Q(processing_progress__lte=100), name="version_progress_percent"
            ),
            models.CheckConstraint(
                condition=Q(processing_state__in=ProcessingState.values),
                name="version_processing_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(review_status__in=ReviewStatus.values),
                name="version_review_status_valid",
            ),
            models.CheckConstraint(condition=Q(decision__in=Decision.values), name="version_decision_valid"),
            # One chosen take per shot, whatever races the requests run.
            models.UniqueConstraint(
                fields=["shot"], condition=Q(decision=Decision.SELECTED), name="version_one_selected_per_shot"
            ),
        ]
        indexes = [models.Index(fields=["processing_state"], name="version_state_idx")]

    def __str__(self) -> str:
        return f"{self.shot} v{self.number}"

    @property
    def fps(self) -> Fraction | None:
        if self.fps_numerator and self.fps_denominator:
            return Fraction(self.fps_numerator, self.fps_denominator)
        return None

    @property
    def timecode_rate(self) -> Fraction:
        """The clip's own rate once probed, the project's until then."""
        return self.fps or self.shot.project.fps


class Comment(models.Model):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    # The top-level comment of the thread (null on the top-level comment
    # itself): a whole reply tree loads in one query.
    thread = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="comments"
    )
    body = models.TextField()
    frame = models.PositiveIntegerField(null=True, blank=True)
    frame_end = models.PositiveIntegerField(null=True, blank=True)
    annotation = models.JSONField(null=True, blank=True)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    # Empty when the author did not say.
    category = models.CharField(max_length=32, choices=NoteCategory.choices, blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices, blank=True)
    resolved = models.BooleanField(default=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Set when the author deleted a note that others had replied to: the body,
    # drawing and mentions are gone, the row stays so the replies keep their thread.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # A note written through a review link (author is then null): its guest's name is shown.
    guest = models.ForeignKey(
        "reviews.ReviewLinkGuest", null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    # Members only: never shown to guests (a reply takes its thread's).
    internal = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(author__isnull=True) | Q(guest__isnull=True), name="comment_author_or_guest"
            ),
            models.CheckConstraint(
                condition=Q(frame_end__isnull=True) | Q(frame__isnull=False, frame_end__gte=F("frame")),
                name="comment_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True, thread__isnull=True)
                | Q(parent__isnull=False, thread__isnull=False),
                name="comment_thread_matches_parent",
            ),
            models.CheckConstraint(
                condition=Q(category="") | Q(category__in=NoteCategory.values), name="comment_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(severity="") | Q(severity__in=Severity.values), name="comment_severity_valid"
            ),
            # Target of the composite foreign key that keeps a reply on its
            # parent's version (see migration 0002).
            models.UniqueConstraint(fields=["id", "version"], name="comment_id_version"),
        ]
        indexes = [
            models.Index(fields=["version", "parent", "frame"], name="comment_version_frame_idx"),
            models.Index(fields=["thread", "created_at"], name="comment_thread_idx"),
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.version}"


class EventKind(models.TextChoices):
    """What happened, named as the webhooks that will carry it (``<subject>.<what>``)."""

    COMMENT_CREATED = "comment.created"
    COMMENT_UPDATED = "comment.updated"
    COMMENT_RESOLVED = "comment.resolved"
    COMMENT_REOPENED = "comment.reopened"
    COMMENT_DELETED = "comment.deleted"
    VERSION_CREATED = "version.created"
    VERSION_READY = "version.ready"
    VERSION_FAILED = "version.failed"
    VERSION_REVIEW_STATUS_CHANGED = "version.review_status_changed"
    VERSION_DECISION_CHANGED = "version.decision_changed"
    VERSION_RECOMMENDED = "version.recommended"
    VERSION_RECOMMENDATION_WITHDRAWN = "version.recommendation_withdrawn"
    MEMBER_ADDED = "member.added"
    MEMBER_REMOVED = "member.removed"
    MEMBER_ROLE_CHANGED = "member.role_changed"
    REVIEW_LINK_CREATED = "review_link.created"
    REVIEW_LINK_UPDATED = "review_link.updated"
    REVIEW_LINK_REVOKED = "review_link.revoked"
    REVIEW_LINK_OPENED = "review_link.opened"


class Event(models.Model):
    """One thing that happened in a project, written in the transaction of the change itself.

    The subject is named by type and id rather than a foreign key, and the
    payload carries what a reader needs (ids, shot code, version number,
    frame, an excerpt), so the event still reads well after its subject is
    deleted. Written only by ``reviews.events.event_record``.
    """

    kind = models.CharField(max_length=64, choices=EventKind.choices)
    # Indexed with the id below, which serves every lookup by project.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events", db_index=False)
    # Null for the pipeline, and for a person whose account was deleted since.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_type = models.CharField(max_length=32)
    subject_id = models.PositiveBigIntegerField()
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="event_kind_valid"),
        ]
        # The feed pages by id within a project, and a reader catching up asks
        # for "this project's events after id N".
        indexes = [models.Index(fields=["project", "id"], name="event_project_id_idx")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} in project {self.project_id}"


class VersionView(models.Model):
    """When a person last looked at a version: what came after is unread activity for them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="views")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="version_view_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} saw {self.version} at {self.seen_at}"
