"""kombu's filesystem transport with whole messages only: what ``make run`` uses as its broker.

kombu's ``Channel._put`` creates ``<time>_<uuid>.<queue>.msg`` and then writes into it, so a
worker polling the folder at that moment moves and reads an empty or half-written file, fails
to decode it and stops ("Unrecoverable error"). Here a message is written under a name the
reader ignores (``.<uuid>.tmp``, which does not end in ``.<queue>.msg``) in the same folder and
then renamed into place with ``os.replace`` (atomic on POSIX), so a reader sees a message whole
or not at all. A file that still cannot be read or decoded is left for the next poll rather
than ending the worker.

Selected by ``CELERY_BROKER_TRANSPORT`` whenever ``CELERY_BROKER_URL`` is ``filesystem://``
(reviewsvc/settings.py): kombu 5.7 refuses an import path as a URL scheme.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from queue import Empty
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

# The filesystem transport's own name for it in URLs and settings checks.
SCHEME = "filesystem"


class Channel(filesystem.Channel):
    """Writes each message whole (temp file, then rename); skips a file it cannot read yet."""

    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        temporary = os.path.join(self.data_folder_out, f".{uuid.uuid4()}.tmp")
        try:
            with open(temporary, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue: str) -> Any:
        """The oldest whole message of ``queue``; a file being written or unreadable waits for a later poll."""
        wanted = f"{queue}.msg"
        for filename in sorted(os.listdir(self.data_folder_in)):
            if filename.partition(".")[2] != wanted:
                continue
            path = os.path.join(self.data_folder_in, filename)
            try:
                with open(path, "rb") as f:
                    payload = f.read()
                message = loads(bytes_to_str(payload))
            except (OSError, ValueError):
                # Taken by another consumer, or (from a publisher that is not ours) not written yet.
                continue
            # Claim it: of several consumers only the one whose rename succeeds delivers it.
            claimed = os.path.join(self._claim_folder(), filename)
            try:
                os.replace(path, claimed)
            except OSError:
                continue
            if not self.store_processed:
                with contextlib.suppress(OSError):
                    os.remove(claimed)
            return message
        raise Empty()

    def _claim_folder(self) -> str:
        if self.store_processed:
            return str(self.processed_folder)
        # Same file system as the queue folder, so the claim is a rename, never a copy.
        folder = os.path.join(self.data_folder_in, ".claimed")
        os.makedirs(folder, exist_ok=True)
        return folder


class Transport(filesystem.Transport):
    """kombu's filesystem transport with :class:`Channel`."""

    Channel = Channel
