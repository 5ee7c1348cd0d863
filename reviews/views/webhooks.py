"""Webhooks of a project: directors subscribe URLs, read the delivery log, test and redeliver."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from reviews import permissions, selectors, webhooks
from reviews.models import Project, Webhook, WebhookDelivery
from reviews.serializers.webhooks import (
    WebhookCreatedSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
)
from reviews.views.validation import validated


def _project_managed(request: Request, project_id: int) -> Project:
    """The project, if the user can see it (else 404) and manage its webhooks (else 403)."""
    project = get_object_or_404(selectors.projects_for(request.user), pk=project_id)
    permissions.require_manage_webhooks(selectors.principal_in(request.user, project))
    return project


def _webhook(request: Request, project_id: int, pk: int) -> Webhook:
    project = _project_managed(request, project_id)
    return get_object_or_404(selectors.webhooks_of(project), pk=pk)


class WebhookListView(generics.ListCreateAPIView):
    serializer_class = WebhookSerializer
    queryset = Webhook.objects.none()  # names the model for the schema

    def get_queryset(self) -> QuerySet[Webhook]:
        return selectors.webhooks_of(_project_managed(self.request, self.kwargs["project_id"]))

    @extend_schema(request=WebhookSerializer, responses={201: WebhookCreatedSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project = _project_managed(request, project_id)
        data = validated(WebhookSerializer, request.data)
        webhook = webhooks.webhook_create(
            project=project,
            by=request.user,
            url=data["url"],
            event_types=data["event_types"],
            description=data.get("description", ""),
        )
        return Response(WebhookCreatedSerializer(webhook).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    @extend_schema(responses=WebhookSerializer)
    def get(self, request: Request, project_id: int, pk: int) -> Response:
        return Response(WebhookSerializer(_webhook(request, project_id, pk)).data)

    @extend_schema(request=WebhookSerializer, responses=WebhookSerializer)
    def patch(self, request: Request, project_id: int, pk: int) -> Response:
        webhook = _webhook(request, project_id, pk)
        serializer = WebhookSerializer(webhook, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        webhook = webhooks.webhook_update(webhook=webhook, **serializer.validated_data)
        return Response(WebhookSerializer(webhook).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int, pk: int) -> Response:
        _webhook(request, project_id, pk).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretView(APIView):
    @extend_schema(request=None, responses=WebhookCreatedSerializer)
    def post(self, request: Request, project_id: int, pk: int) -> Response:
        webhook = webhooks.webhook_rotate_secret(webhook=_webhook(request, project_id, pk))
        return Response(WebhookCreatedSerializer(webhook).data)


class WebhookTestView(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "webhook-send"

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    def post(self, request: Request, project_id: int, pk: int) -> Response:
        delivery = webhooks.webhook_send_test(webhook=_webhook(request, project_id, pk), by=request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryListView(generics.ListAPIView):
    """The delivery log, newest first, each delivery with its tries."""

    serializer_class = WebhookDeliverySerializer
    queryset = WebhookDelivery.objects.none()

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        return selectors.deliveries_of(_webhook(self.request, self.kwargs["project_id"], self.kwargs["pk"]))


class WebhookRedeliverView(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "webhook-send"

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    def post(self, request: Request, project_id: int, pk: int, delivery_id: int, **kwargs: Any) -> Response:
        webhook = _webhook(request, project_id, pk)
        delivery = get_object_or_404(selectors.deliveries_of(webhook), pk=delivery_id)
        again = webhooks.delivery_redeliver(delivery=delivery)
        return Response(WebhookDeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)
