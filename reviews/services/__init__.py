"""Every write of the review domain. Views and tasks call these; nothing else writes.

One module a part (projects, members and shots; versions; comments), each function
named ``<entity>_<action>``; all of them are importable from ``reviews.services``.
"""

from reviews.services.comments import UNCHANGED, comment_create, comment_delete, comment_update
from reviews.services.projects import (
    member_add,
    member_remove,
    member_update,
    model_update,
    project_create,
    project_update,
    shot_code_taken,
    shot_create,
    shot_update,
)
from reviews.services.versions import (
    file_sha256,
    project_delete,
    shot_delete,
    version_delete,
    version_reprocess,
    version_seen,
    version_update,
    version_upload,
)

__all__ = [
    "UNCHANGED",
    "comment_create",
    "comment_delete",
    "comment_update",
    "file_sha256",
    "member_add",
    "member_remove",
    "member_update",
    "model_update",
    "project_create",
    "project_delete",
    "project_update",
    "shot_code_taken",
    "shot_create",
    "shot_delete",
    "shot_update",
    "version_delete",
    "version_reprocess",
    "version_seen",
    "version_update",
    "version_upload",
]
