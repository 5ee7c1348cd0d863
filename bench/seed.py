"""Data for the API benchmark: a 200-shot project, each shot with a processed version, and one
version with 2,000 comments (500 threads of 4) as a busy review leaves them.

Rows are bulk-inserted (the services would take minutes for this many); they hold what the
services would have written, processed versions included.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

SHOTS = 200
THREADS = 500
REPLIES_PER_THREAD = 3
GENERAL_THREADS = 20  # notes on the whole clip, without a frame
FRAMES = 120 * 24


@dataclass
class Seeded:
    project_id: int
    shot_id: int
    version_id: int
    tokens: dict[str, str]  # username → API token


def seed() -> Seeded:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from reviews import services
    from reviews.models import Comment, ProcessingState, Role, Shot, Version

    users = {
        name: get_user_model().objects.create_user(name, first_name=name.capitalize())
        for name in ("alice", "bob", "carol", "dave")
    }
    project = services.project_create(created_by=users["alice"], name="The Hesitation", fps=24)
    for name, role in (("bob", Role.MENTOR), ("carol", Role.REVIEWER), ("dave", Role.VIEWER)):
        services.member_add(project=project, user=users[name], role=role, by=users["alice"])
    tokens = {name: Token.objects.create(user=user).key for name, user in users.items()}

    shots = Shot.objects.bulk_create(
        Shot(
            project=project,
            code=f"SH{index * 10:04d}",
            title=f"Shot {index}",
            order=index,
            last_version_number=1,
        )
        for index in range(1, SHOTS + 1)
    )
    versions = Version.objects.bulk_create(_processed_version(shot, users["alice"]) for shot in shots)
    version = versions[0]

    speakers = [users["alice"], users["bob"], users["carol"]]
    threads = Comment.objects.bulk_create(
        Comment(
            version=version,
            author=speakers[index % 3],
            body=_body(index),
            frame=None if index < GENERAL_THREADS else (index * FRAMES // THREADS),
            frame_end=None if index < GENERAL_THREADS or index % 4 else index * FRAMES // THREADS + 12,
            annotation=_annotation(index) if index % 5 == 0 else None,
            resolved=index % 7 == 0,
            resolved_by=users["alice"] if index % 7 == 0 else None,
        )
        for index in range(THREADS)
    )
    replies = []
    for depth in range(REPLIES_PER_THREAD):
        # The second reply answers the first: threads are trees, not only lists.
        parents = threads if depth != 1 else replies[: len(threads)]
        replies += Comment.objects.bulk_create(
            Comment(
                version=version,
                parent=parent,
                thread=thread,
                author=speakers[(index + depth + 1) % 3],
                body=_body(index + depth + 1),
                frame=thread.frame,
                frame_end=thread.frame_end,
            )
            for index, (thread, parent) in enumerate(zip(threads, parents, strict=True))
        )
    mentioned = [comment for comment in [*threads, *replies] if "@alice" in comment.body]
    Comment.mentions.through.objects.bulk_create(
        Comment.mentions.through(comment_id=comment.pk, user_id=users["alice"].pk) for comment in mentioned
    )
    assert Comment.objects.filter(version=version).count() == THREADS * (1 + REPLIES_PER_THREAD)
    assert Version.objects.filter(processing_state=ProcessingState.READY).count() == SHOTS
    return Seeded(project_id=project.pk, shot_id=shots[0].pk, version_id=version.pk, tokens=tokens)


def _processed_version(shot, user):
    from reviews.models import ProcessingState, Version

    return Version(
        shot=shot,
        number=1,
        uploaded_by=user,
        note="first pass",
        generation={"model": "kling-2.1", "prompt": "she reaches out", "seed": shot.order},
        file=f"originals/bench-{shot.order}.mp4",
        original_filename=f"{shot.code.lower()}_v001.mp4",
        size_bytes=195_723_246,
        sha256=hashlib.sha256(shot.code.encode()).hexdigest(),
        processing_state=ProcessingState.READY,
        processing_progress=100,
        processing_attempts=1,
        duration=FRAMES / 24,
        fps_numerator=24,
        fps_denominator=1,
        variable_frame_rate=False,
        frame_count=FRAMES,
        width=1920,
        height=1080,
        video_codec="h264",
        pixel_format="yuv420p",
        has_audio=True,
        outputs_dir=f"versions/{shot.order}/run",
        filmstrip={"columns": 10, "rows": 10, "tile_width": 160, "tile_height": 90, "interval": 1.2},
    )


def _body(index: int) -> str:
    notes = (
        "Her hand should hesitate before the touch.",
        "@alice the light flickers on the left wall here.",
        "The camera drifts; lock it off.",
        "Agreed, and the shadow under the table pops.",
    )
    return f"{notes[index % len(notes)]} (note {index})"


def _annotation(index: int) -> dict:
    points = [[round(0.1 + step * 0.02, 3), round(0.2 + (index % 10) * 0.05, 3)] for step in range(20)]
    return {"shapes": [{"type": "stroke", "color": "#ff3b30", "width": 0.004, "points": points}]}
