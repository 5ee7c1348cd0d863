"""The media wing: probing, rendering, the pipeline's state machine, storage and serving.

``ffprobe``, ``ffmpeg``, ``webvtt`` and ``provenance`` (with ``c2pa_credentials``,
``container_tags``, ``comfyui``) are Django-free and receive paths or plain data, and start
their tools through ``children``, so that they die with the process that started them;
``storage`` alone knows where files live; ``pipeline`` and ``recovery`` drive the state of a
version; ``links`` serves the outputs; ``uploads`` receives the originals. Celery reaches the
pipeline through ``reviews.tasks``.
"""
