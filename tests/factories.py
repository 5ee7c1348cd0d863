from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from reviews.models import Comment, Membership, Project, Role, Shot, Version


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.LazyAttribute(lambda user: user.username.capitalize())
    password = factory.django.Password("correct horse battery staple")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Short film {n}")
    fps_numerator = 24
    fps_denominator = 1


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.VIEWER


class ShotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shot

    project = factory.SubFactory(ProjectFactory)
    code = factory.Sequence(lambda n: f"SH{(n + 1) * 10:03d}")
    title = factory.Sequence(lambda n: f"Shot {n}")


class VersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Version
        skip_postgeneration_save = True

    shot = factory.SubFactory(ShotFactory)
    number = factory.Sequence(lambda n: n + 1)
    file = factory.LazyFunction(lambda: ContentFile(b"not really a clip", name="clip.mp4"))
    original_filename = "clip.mp4"
    size_bytes = 17
    sha256 = "0" * 64

    @factory.post_generation
    def keep_the_shot_counter(version, create, extracted, **kwargs):
        # Uploads number versions from the shot's counter; keep it past this one.
        if create:
            Shot.objects.filter(pk=version.shot_id, last_version_number__lt=version.number).update(
                last_version_number=version.number
            )


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    version = factory.SubFactory(VersionFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Sequence(lambda n: f"Note {n}: her hand should hesitate before the touch")


def write_outputs(version: Version, media_root) -> str:
    """Put a 4 KiB stand-in for each generated file of ``version`` under ``media_root``; the
    outputs folder it would be published as (what a test stores as ``outputs_dir``)."""
    outputs = f"versions/{version.pk}/run1"
    folder = media_root / outputs
    folder.mkdir(parents=True)
    for name in ("proxy.mp4", "poster.jpg", "filmstrip.jpg"):
        (folder / name).write_bytes(b"\x00" * 4096)
    return outputs
