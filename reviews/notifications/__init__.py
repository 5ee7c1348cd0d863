"""Notifications: who is told of each event, their inbox, and the mail that carries it.

- ``rules``: for one event, who is concerned and why (pure reads).
- ``services``: every write (creating notifications, marking them read, settings, watches).
- ``selectors``: the inbox and its counts.
- ``email``: mentions and replies mailed within a minute, batched per version; the digest;
  signed one-click unsubscribe links.
- ``tasks``: the Celery interface, and the consumer that hands each event to it.
"""
