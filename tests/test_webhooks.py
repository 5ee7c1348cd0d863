"""Webhooks: directors subscribe a URL, deliveries are signed, retried, logged and never aimed inward.

Deliveries go to a real HTTP server on loopback (harness/webhook_receiver.py), allowed here by
``WEBHOOK_ALLOW_PRIVATE`` as the setting's documentation says; the SSRF tests turn it off.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from reviews import events, webhooks
from reviews.models import DeliveryState, Event, Webhook, WebhookAttempt, WebhookDelivery
from tests.conftest import client_for
from tests.factories import VersionFactory

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC_HTTPS = "https://93.184.215.14/hooks"


@pytest.fixture
def version(shot):
    return VersionFactory(shot=shot, number=2)


@pytest.fixture(autouse=True)
def _tries_made_by_hand(request):
    """The tests below make each try themselves (run_tries): the tasks queued after commit go to a
    queue no worker reads, so a worker the suite started for other tests cannot take a try first.
    The slow test at the end lets the real worker make them."""
    if request.node.get_closest_marker("slow") is not None:
        yield
        return
    from reviews.tasks import deliver_webhook
    from tests.conftest import TEST_QUEUE

    task = deliver_webhook._get_current_object()
    # Celery keeps a task's routing options once read: forget them on the way in and out.
    task.queue, task._exec_options = f"{TEST_QUEUE}-tries-by-hand", None
    yield
    del task.queue
    task._exec_options = None


@pytest.fixture
def loopback_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.WEBHOOK_TIMEOUT = 2


@pytest.fixture
def receiver():
    from harness.webhook_receiver import WebhookReceiver

    secrets_by_url: dict[str, str] = {}
    server = WebhookReceiver(
        verify=lambda header, body: webhooks.verify(secrets_by_url["secret"], header, body)
    )
    server.secrets = secrets_by_url
    server.start()
    yield server
    server.stop()


def hooks_url(project, *rest) -> str:
    return "/".join([f"/api/v1/projects/{project.pk}/webhooks", *map(str, rest), ""])


def subscribe(director, project, url, event_types=("comment.created",)) -> dict:
    response = client_for(director).post(
        hooks_url(project), {"url": url, "event_types": list(event_types)}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def hook(director, project, receiver, loopback_allowed) -> dict:
    created = subscribe(director, project, receiver.url, ["comment.created", "version.ready"])
    receiver.secrets["secret"] = created["secret"]
    return created


def post_note(author, version, body="the hand must hesitate") -> int:
    response = client_for(author).post(
        f"/api/v1/versions/{version.pk}/comments/", {"body": body, "frame": 12}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def fan_out_latest() -> Event:
    """What the fan-out task does once the note's transaction committed (no worker in this lane)."""
    event = Event.objects.latest("id")
    events.fan_out(event.pk)
    return event


def run_tries(delivery: WebhookDelivery) -> list[float | None]:
    """Make every try the task would, without waiting for the pauses between them."""
    delays, number = [], 1
    while True:
        delay = webhooks.delivery_attempt(delivery.pk, number)
        delays.append(delay)
        if delay is None:
            return delays
        number += 1


# --- signatures -----------------------------------------------------------


def test_a_signature_checks_the_body_the_secret_and_the_time():
    body = b'{"id":"evt_1"}'
    header = webhooks.sign("whsec_a", 1_800_000_000, body)

    assert webhooks.verify("whsec_a", header, body, now=1_800_000_010)
    assert not webhooks.verify("whsec_b", header, body, now=1_800_000_010)
    assert not webhooks.verify("whsec_a", header, body + b" ", now=1_800_000_010)
    assert not webhooks.verify("whsec_a", header, body, now=1_800_000_000 + 301)
    assert not webhooks.verify("whsec_a", "v1=abc", body)


# --- managing webhooks ------------------------------------------------------


def test_a_director_sees_the_secret_once(director, project, loopback_allowed, receiver):
    created = subscribe(director, project, receiver.url)

    assert created["secret"].startswith("whsec_")
    assert len(created["secret"]) > 40
    listed = client_for(director).get(hooks_url(project)).json()["results"]
    assert [hook["id"] for hook in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in client_for(director).get(hooks_url(project, created["id"])).json()


def test_only_directors_manage_webhooks(project, director, mentor, outsider, loopback_allowed, receiver):
    created = subscribe(director, project, receiver.url)

    for person, status in ((mentor, 403), (outsider, 404)):
        client = client_for(person)
        assert client.get(hooks_url(project)).status_code == status
        assert client.get(hooks_url(project, created["id"])).status_code == status
        assert client.post(hooks_url(project, created["id"], "test")).status_code == status
        assert client.get(hooks_url(project, created["id"], "deliveries")).status_code == status
        assert client.post(hooks_url(project), {"url": PUBLIC_HTTPS}, format="json").status_code == status


def test_another_projects_webhook_is_not_found(director, project, loopback_allowed, receiver):
    from tests.factories import MembershipFactory, ProjectFactory

    other = ProjectFactory(name="Other film")
    MembershipFactory(project=other, user=director, role="director")
    created = subscribe(director, project, receiver.url)

    assert client_for(director).get(hooks_url(other, created["id"])).status_code == 404


def test_it_refuses_unknown_event_types(director, project, settings):
    response = client_for(director).post(
        hooks_url(project),
        {"url": PUBLIC_HTTPS, "event_types": ["comment.created", "note.eaten"]},
        format="json",
    )

    assert response.status_code == 400
    assert "event_types" in response.json()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.5/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/hook",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://2130706433/hook",
        "http://0.0.0.0/hook",
        # IPv6 forms that carry a private IPv4 address: compatible, NAT64, 6to4; and old site-local.
        "http://[::7f00:1]:9101/",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
        "http://[64:ff9b:1::a00:1]/",
        "http://[2002:a9fe:a9fe::]/",
        "http://[fec0::1]/",
        "http://ann:secret@93.184.215.14/hook",
        "http://93.184.215.14:0/hook",
        "ftp://93.184.215.14/hook",
        "not a url",
        "http:///nohost",
    ],
)
def test_it_refuses_urls_that_point_inward_or_are_not_http(director, project, settings, url):
    settings.WEBHOOK_REQUIRE_HTTPS = False

    response = client_for(director).post(
        hooks_url(project), {"url": url, "event_types": ["comment.created"]}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "url" in response.json()
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("http://127.0.0.1:9000/hook", 201),
        ("http://10.1.2.3/hook", 201),
        ("http://[fd00::5]/hook", 201),
        ("http://169.254.169.254/latest/meta-data/", 400),
        ("http://[fd00:ec2::254]/latest/meta-data/", 400),
        ("http://[fe80::1]/hook", 400),
        ("http://0.0.0.0:9000/hook", 400),
        ("http://[::]:9000/hook", 400),
        ("http://224.0.0.1/hook", 400),
        ("http://240.0.0.1/hook", 400),
    ],
)
def test_allowing_private_targets_still_refuses_metadata_unspecified_and_multicast(
    director, project, settings, url, status
):
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.WEBHOOK_ALLOW_PRIVATE = True

    response = client_for(director).post(
        hooks_url(project), {"url": url, "event_types": ["comment.created"]}, format="json"
    )

    assert response.status_code == status, response.content


def test_it_requires_https_in_production(director, project, settings):
    settings.WEBHOOK_REQUIRE_HTTPS = True

    refused = client_for(director).post(
        hooks_url(project),
        {"url": "http://93.184.215.14/hook", "event_types": ["comment.created"]},
        format="json",
    )
    accepted = client_for(director).post(
        hooks_url(project), {"url": PUBLIC_HTTPS, "event_types": ["comment.created"]}, format="json"
    )

    assert refused.status_code == 400
    assert "https://" in refused.json()["url"][0]
    assert accepted.status_code == 201


# --- deliveries ---------------------------------------------------------------


def test_a_note_is_delivered_signed_with_its_event(hook, receiver, version, mentor, project):
    comment_id = post_note(mentor, version)
    event = fan_out_latest()
    [delivery] = WebhookDelivery.objects.all()

    assert run_tries(delivery) == [None]

    [received] = receiver.received
    assert received.signature_valid
    assert received.path == "/hooks/reviewsvc"
    assert received.headers["reviewsvc-event"] == "comment.created"
    assert received.headers["reviewsvc-delivery"] == str(delivery.pk)
    body = received.json
    assert body["id"] == f"evt_{event.pk}"
    assert body["type"] == "comment.created"
    assert body["project"] == {"id": project.pk, "name": "The Hesitation"}
    assert body["actor"] == {"id": mentor.pk, "username": "bob"}
    assert body["data"]["comment"]["id"] == comment_id
    assert body["data"]["comment"]["frame"] == 12
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED


def test_it_delivers_only_the_kinds_asked_for(hook, receiver, version, director):
    response = client_for(director).patch(
        f"/api/v1/versions/{version.pk}/", {"review_status": "approved"}, format="json"
    )
    assert response.status_code == 200
    fan_out_latest()

    assert not WebhookDelivery.objects.exists()


def test_a_fan_out_run_twice_makes_one_delivery(hook, version, mentor):
    post_note(mentor, version)
    event = fan_out_latest()
    events.fan_out(event.pk)

    assert WebhookDelivery.objects.count() == 1


def test_a_failing_receiver_is_tried_again_with_growing_pauses_until_it_answers(
    hook, receiver, version, mentor, settings
):
    settings.WEBHOOK_FIRST_RETRY_SECONDS = 30
    receiver.answers = [500, 503]
    post_note(mentor, version)
    fan_out_latest()
    [delivery] = WebhookDelivery.objects.all()

    assert run_tries(delivery) == [30, 60, None]

    assert len(receiver.received) == 3
    assert all(item.signature_valid for item in receiver.received)
    assert len({item.json["id"] for item in receiver.received}) == 1
    log = client_for(hook_owner(delivery)).get(hooks_url(delivery.webhook.project, hook["id"], "deliveries"))
    [entry] = log.json()["results"]
    assert entry["state"] == "succeeded"
    assert [(a["number"], a["response_code"]) for a in entry["attempts"]] == [(1, 500), (2, 503), (3, 200)]
    assert "500" in entry["attempts"][0]["error"]


def hook_owner(delivery: WebhookDelivery):
    return delivery.webhook.created_by


def test_a_try_is_made_once_however_often_its_task_runs(hook, receiver, version, mentor):
    post_note(mentor, version)
    fan_out_latest()
    [delivery] = WebhookDelivery.objects.all()

    assert webhooks.delivery_attempt(delivery.pk, 1) is None
    assert webhooks.delivery_attempt(delivery.pk, 1) is None

    assert len(receiver.received) == 1
    assert WebhookAttempt.objects.count() == 1


def test_it_gives_up_once_the_retry_window_has_passed(hook, receiver, version, mentor, settings):
    settings.WEBHOOK_RETRY_HOURS = 0
    receiver.answers = [500]
    post_note(mentor, version)
    fan_out_latest()
    [delivery] = WebhookDelivery.objects.all()

    assert run_tries(delivery) == [None]

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.next_attempt_at is None


def test_it_does_not_follow_a_redirect(hook, receiver, version, mentor, settings):
    settings.WEBHOOK_RETRY_HOURS = 0
    receiver.answers = [302]
    post_note(mentor, version)
    fan_out_latest()
    [delivery] = WebhookDelivery.objects.all()

    run_tries(delivery)

    assert [item.path for item in receiver.received] == ["/hooks/reviewsvc"]
    [attempt] = WebhookAttempt.objects.all()
    assert attempt.response_code == 302
    assert "redirect" in attempt.error


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_try(hook, receiver, version, mentor, settings):
    settings.WEBHOOK_TIMEOUT = 1
    receiver.delay = 1.5
    post_note(mentor, version)
    fan_out_latest()
    [delivery] = WebhookDelivery.objects.all()

    assert webhooks.delivery_attempt(delivery.pk, 1) == settings.WEBHOOK_FIRST_RETRY_SECONDS

    [attempt] = WebhookAttempt.objects.all()
    assert attempt.response_code is None
    assert "No answer" in attempt.error


@pytest.mark.parametrize(
    ("at_once", "trickled"),
    [
        # The head itself, a byte at a time.
        (b"", b"HTTP/1.1 200 OK\r\nX-Slow: " + b"." * 40),
        # A whole head that says the connection will close (HTTP/1.0 servers, Python's own
        # BaseHTTPRequestHandler), then the body a byte at a time: http.client lets go of the
        # connection's socket once such a head is read, so the cut-off must hold its own.
        (b"HTTP/1.0 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n", b"." * 40),
    ],
    ids=["head", "body-after-a-closing-head"],
)
def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_deadline(
    director, project, version, mentor, loopback_allowed, settings, at_once, trickled
):
    """A byte every 0.3 s never trips a per-read timeout; the try still ends at the deadline."""
    settings.WEBHOOK_TIMEOUT = 1
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def trickle() -> None:
        connection, _ = listener.accept()
        connection.recv(65536)
        if at_once:
            connection.sendall(at_once)
        for byte in trickled:
            if stop.is_set():
                break
            with contextlib.suppress(OSError):
                connection.sendall(bytes([byte]))
            time.sleep(0.3)
        connection.close()

    threading.Thread(target=trickle, daemon=True).start()
    subscribe(director, project, f"http://127.0.0.1:{port}/slow")
    post_note(mentor, version)
    fan_out_latest()
    [delivery] = WebhookDelivery.objects.all()

    started = time.monotonic()
    webhooks.delivery_attempt(delivery.pk, 1)
    took = time.monotonic() - started
    stop.set()
    listener.close()

    assert took < 3
    [attempt] = WebhookAttempt.objects.all()
    assert attempt.response_code is None
    assert "within 1 s" in attempt.error


def test_a_try_in_flight_is_not_made_again_by_a_second_run(hook, receiver, version, mentor):
    receiver.delay = 1.5
    post_note(mentor, version)
    fan_out_latest()
    [delivery] = WebhookDelivery.objects.all()
    first = threading.Thread(target=webhooks.delivery_attempt, args=(delivery.pk, 1))
    first.start()
    receiver.wait_for(1)

    assert webhooks.delivery_attempt(delivery.pk, 1) is None

    first.join()
    assert len(receiver.received) == 1
    assert WebhookAttempt.objects.count() == 1


def test_a_try_whose_run_died_is_taken_over_once_its_claim_is_old(hook, receiver, version, mentor):
    post_note(mentor, version)
    fan_out_latest()
    [delivery] = WebhookDelivery.objects.all()
    # What a worker killed mid-send leaves: the try claimed an hour ago, nothing logged.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=1, claimed_at=timezone.now() - timedelta(hours=1)
    )

    assert webhooks.delivery_attempt(delivery.pk, 1) is None

    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED


def test_a_webhook_deleted_while_its_try_is_on_the_wire_ends_quietly(hook, receiver, version, mentor):
    receiver.delay = 1
    post_note(mentor, version)
    fan_out_latest()
    [delivery] = WebhookDelivery.objects.all()
    results = []
    first = threading.Thread(target=lambda: results.append(webhooks.delivery_attempt(delivery.pk, 1)))
    first.start()
    receiver.wait_for(1)

    Webhook.objects.all().delete()
    first.join()

    assert results == [None]
    assert not WebhookAttempt.objects.exists()


def test_test_events_and_redeliveries_are_throttled(hook, director, project):
    client = client_for(director)

    answers = [client.post(hooks_url(project, hook["id"], "test")).status_code for _ in range(61)]

    assert answers[:60] == [202] * 60
    assert answers[60] == 429


def test_an_address_that_became_private_is_refused_when_sending(hook, receiver, version, mentor, settings):
    post_note(mentor, version)
    fan_out_latest()
    [delivery] = WebhookDelivery.objects.all()
    settings.WEBHOOK_ALLOW_PRIVATE = False

    again = webhooks.delivery_attempt(delivery.pk, 1)

    assert receiver.received == []
    [attempt] = WebhookAttempt.objects.all()
    assert "private, loopback or link-local" in attempt.error
    # Trying again for a day cannot change that: the delivery fails at once.
    assert again is None
    delivery.refresh_from_db()
    assert (delivery.state, delivery.next_attempt_at) == ("failed", None)


def test_a_host_not_found_is_tried_again(hook, receiver, version, mentor):
    # Its name was found when the webhook was made; it is not now (a DNS outage).
    Webhook.objects.filter(pk=hook["id"]).update(url="http://no-such-host.invalid/hook")
    post_note(mentor, version)
    fan_out_latest()
    [delivery] = WebhookDelivery.objects.all()

    again = webhooks.delivery_attempt(delivery.pk, 1)

    assert "could not be found" in WebhookAttempt.objects.get().error
    assert again is not None
    assert again > 0
    delivery.refresh_from_db()
    assert delivery.state == "pending"


def test_a_director_sends_a_test_event_and_redelivers(hook, receiver, director, project, version, mentor):
    client = client_for(director)
    tested = client.post(hooks_url(project, hook["id"], "test"))
    assert tested.status_code == 202
    run_tries(WebhookDelivery.objects.get(pk=tested.json()["id"]))
    assert receiver.received[-1].json["type"] == "webhook.test"
    assert receiver.received[-1].signature_valid

    post_note(mentor, version)
    fan_out_latest()
    original = WebhookDelivery.objects.get(event__isnull=False)
    run_tries(original)
    again = client.post(hooks_url(project, hook["id"], "deliveries", original.pk, "redeliver"))
    assert again.status_code == 202
    assert again.json()["redelivery_of"] == original.pk
    run_tries(WebhookDelivery.objects.get(pk=again.json()["id"]))

    first, second = receiver.received[-2:]
    assert first.body == second.body
    assert second.signature_valid
    assert first.headers["reviewsvc-delivery"] != second.headers["reviewsvc-delivery"]


def test_the_delivery_log_costs_the_same_queries_for_many_deliveries(
    hook, receiver, director, project, django_assert_max_num_queries
):
    for _ in range(12):
        delivery = webhooks.webhook_send_test(webhook=Webhook.objects.get(), by=director)
        run_tries(delivery)
    client = client_for(director)

    with django_assert_max_num_queries(8):
        response = client.get(hooks_url(project, hook["id"], "deliveries"))

    assert response.status_code == 200
    assert response.json()["count"] == 12


def test_a_turned_off_webhook_gets_nothing_new(hook, receiver, director, project, version, mentor):
    client_for(director).patch(hooks_url(project, hook["id"]), {"active": False}, format="json")

    post_note(mentor, version)
    fan_out_latest()

    assert not WebhookDelivery.objects.exists()


# --- the real worker ---------------------------------------------------------


@pytest.mark.slow
def test_the_worker_delivers_a_note_and_retries_a_failing_receiver(
    celery_worker, hook, receiver, version, mentor, settings
):
    settings.WEBHOOK_FIRST_RETRY_SECONDS = 0.2
    receiver.answers = [500, 500]

    post_note(mentor, version, body="open on a wide sky")

    received = receiver.wait_for(3, timeout=20)
    assert [item.json["data"]["comment"]["excerpt"] for item in received] == ["open on a wide sky"] * 3
    assert all(item.signature_valid for item in received)
