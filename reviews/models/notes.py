"""Notes carried onto a later version: the open threads of a parent take, shown on its child.

A thread is never copied. One row links the thread's top-level comment to the version it is
shown on, with its anchor mapped onto that version's own timeline, so the thread keeps one
history: a reply or a resolution on either version is the same row on both.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from reviews.models.review import Comment, Version


class CarriedThread(models.Model):
    """An open thread of ``from_version`` shown on ``version`` (its next take).

    ``frame``/``frame_end`` are the thread's moment mapped by time onto ``version``'s frame rate
    (``reviews.carry_over.map_anchor``); both are null for a general note, and for a note whose
    moment lies past the end of the new clip (``beyond_end``).
    """

    thread = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="carried_onto")
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="carried_threads")
    # The version it was carried from: the source take (a thread carried twice names the last hop).
    # Its number is kept too, so "from v2" still reads once v2 is deleted; the thread stays.
    from_version = models.ForeignKey(Version, null=True, on_delete=models.SET_NULL, related_name="+")
    from_number = models.PositiveIntegerField()
    frame = models.PositiveIntegerField(null=True, blank=True)
    frame_end = models.PositiveIntegerField(null=True, blank=True)
    beyond_end = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version", "id"]
        constraints = [
            # Processing a version twice, or a parent with two children, never shows a thread twice.
            models.UniqueConstraint(fields=["thread", "version"], name="carried_thread_once_per_version"),
            models.CheckConstraint(
                condition=Q(frame_end__isnull=True) | Q(frame__isnull=False, frame_end__gte=F("frame")),
                name="carried_thread_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(beyond_end=False) | Q(frame__isnull=True, frame_end__isnull=True),
                name="carried_thread_beyond_end_unanchored",
            ),
            models.CheckConstraint(
                condition=~Q(version=F("from_version")), name="carried_thread_onto_another_version"
            ),
        ]

    def __str__(self) -> str:
        return f"thread {self.thread_id} carried onto version {self.version_id}"
