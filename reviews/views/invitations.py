"""Views for a project's invitations (its directors only)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reviews import invitations, permissions, selectors
from reviews.models import Invitation, Project
from reviews.permissions import Action
from reviews.serializers.invitations import InvitationCreateSerializer, InvitationSerializer
from reviews.views.validation import validated


def _directed_project(request: Request, project_id: int) -> Project:
    project = get_object_or_404(selectors.projects_for(request.user), pk=project_id)
    permissions.require(selectors.principal_in(request.user, project), Action.MANAGE_MEMBERS)
    return project


def _open_invitation(request: Request, project_id: int, pk: int) -> Invitation:
    project = _directed_project(request, project_id)
    invitation = invitations.invitations_open(project).filter(pk=pk).first()
    if invitation is None:
        raise NotFound("No open invitation has that id in this project (accepted or revoked ones are gone).")
    return invitation


class InvitationListView(APIView):
    @extend_schema(responses=InvitationSerializer(many=True), tags=["invitations"])
    def get(self, request: Request, project_id: int) -> Response:
        """The project's open invitations (pending or expired), oldest first. Directors only."""
        project = _directed_project(request, project_id)
        rows = invitations.invitations_open(project)
        return Response(InvitationSerializer(rows, many=True).data)

    @extend_schema(
        request=InvitationCreateSerializer, responses={201: InvitationSerializer}, tags=["invitations"]
    )
    def post(self, request: Request, project_id: int) -> Response:
        """Mail an invitation; an address with an open invitation gets it renewed (new role, link, expiry)."""
        project = _directed_project(request, project_id)
        data = validated(InvitationCreateSerializer, request.data)
        invitation = invitations.invitation_create(project=project, by=request.user, **data)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationDetailView(APIView):
    @extend_schema(responses={204: None}, tags=["invitations"])
    def delete(self, request: Request, project_id: int, pk: int) -> Response:
        """Revoke an open invitation: its link then answers that it was withdrawn."""
        invitations.invitation_revoke(invitation=_open_invitation(request, project_id, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationResendView(APIView):
    @extend_schema(request=None, responses=InvitationSerializer, tags=["invitations"])
    def post(self, request: Request, project_id: int, pk: int) -> Response:
        """Mail the invitation again with a new link and expiry; the older link stops working."""
        invitation = _open_invitation(request, project_id, pk)
        try:
            invitation = invitations.invitation_resend(invitation=invitation, by=request.user)
        except invitations.InvitationGone as gone:
            raise NotFound(f"This invitation was {gone.state} meanwhile.") from None
        return Response(InvitationSerializer(invitation).data)
