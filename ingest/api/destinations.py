"""REST API of destinations (docs/destinations.md): every member reads them, without
credentials; owners create, change, test and delete them and replay their dead
letters; who manages a source chooses where it sends."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from catalog import access
from catalog.api.base import WorkspaceView
from ingest import destinations, selectors, services
from ingest.api import DeadLetterIds, ReplayOutput
from ingest.models import Delivery, Destination


class DestinationOutput(serializers.ModelSerializer):
    credentials = serializers.SerializerMethodField(
        help_text="The credential fields that are set; their values are never shown."
    )
    stats = serializers.SerializerMethodField(
        help_text="Deliveries of the last 24 h: delivered, retrying, failed, the mean "
        "lag in seconds and the last error."
    )

    class Meta:
        model = Destination
        fields = [
            "id", "name", "kind", "config", "credentials", "messages", "enabled", "stats",
            "created_at", "updated_at",
        ]  # fmt: skip

    def get_credentials(self, destination) -> dict[str, str]:
        return {name: "set" for name, value in destination.credentials.items() if value}

    def get_stats(self, destination) -> dict:
        return self.context["stats"].get(destination.pk, {})


class DestinationInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=Destination.Kind.choices)
    config = serializers.DictField(child=serializers.CharField(allow_blank=True), default=dict)
    credentials = serializers.DictField(
        child=serializers.CharField(allow_blank=True), default=dict,
        help_text="Write-only. On a change, the fields given replace the stored ones.",
    )  # fmt: skip
    messages = serializers.ChoiceField(choices=Destination.Messages.choices, default="all")
    enabled = serializers.BooleanField(default=True)


class DestinationChange(DestinationInput):
    kind = None  # a destination keeps its kind


class SendTestOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    status = serializers.IntegerField(allow_null=True, help_text="The HTTP status, if any.")
    seconds = serializers.FloatField()
    error = serializers.CharField(allow_blank=True)
    detail = serializers.CharField(allow_blank=True, help_text="At most 1 KB of the answer.")


class DeliveryOutput(serializers.ModelSerializer):
    source = serializers.CharField(source="ingest_event.source.slug")

    class Meta:
        model = Delivery
        fields = [
            "id", "ingest_event", "source", "status", "attempts", "http_status", "error",
            "event_count", "object_count", "created_at", "next_attempt_at", "delivered_at",
        ]  # fmt: skip


class RoutingInput(serializers.Serializer):
    destinations = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), allow_null=True,
        help_text="The destinations this source sends to; null for every enabled one.",
    )  # fmt: skip


class StatsOutput(serializers.Serializer):
    delivered = serializers.IntegerField()
    retrying = serializers.IntegerField()
    failed = serializers.IntegerField()
    lag_s = serializers.FloatField(allow_null=True, help_text="Mean delivery lag, in seconds.")
    last_error = serializers.DictField(allow_null=True, help_text="{message, at}")


class ReceivingOutput(StatsOutput):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    enabled = serializers.BooleanField()


class RoutingOutput(serializers.Serializer):
    destinations = serializers.ListField(
        child=serializers.IntegerField(), allow_null=True,
        help_text="The destinations the source chose; null: every enabled one.",
    )  # fmt: skip
    receiving = ReceivingOutput(many=True, help_text="Where it sends, each with its last 24 h.")


class DestinationView(WorkspaceView):
    def destination(self, destination_id: int) -> Destination:
        found = selectors.destination_of(self.workspace, destination_id)
        if found is None:
            raise Http404("No such destination in this workspace.")
        found.workspace = self.workspace  # the instance that caches the membership
        return found

    def shown(self, destination: Destination, **extra) -> dict:
        stats = selectors.delivery_stats([destination])
        return {**DestinationOutput(destination, context={"stats": stats}).data, **extra}


class DestinationListView(DestinationView):
    @extend_schema(summary="Destinations of the workspace", responses=DestinationOutput(many=True))
    def get(self, request, ws: str):
        rows = list(selectors.destination_list(self.workspace))
        context = {"stats": selectors.delivery_stats(rows)}
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(
            DestinationOutput(page, many=True, context=context).data
        )

    @extend_schema(
        summary="Create a destination (checked first: nothing is saved if it cannot work)",
        request=DestinationInput,
        responses={201: DestinationOutput},
    )
    def post(self, request, ws: str):
        data = self.valid(DestinationInput)
        destination, generated = destinations.destination_create(
            actor=request.user, workspace=self.workspace, **data
        )
        # A generated signing secret is shown this once.
        return self.created(
            self.shown(destination, **({"generated": generated} if generated else {}))
        )


class DestinationDetailView(DestinationView):
    @extend_schema(summary="A destination", responses=DestinationOutput)
    def get(self, request, ws: str, destination_id: int):
        return Response(self.shown(self.destination(destination_id)))

    @extend_schema(summary="Change a destination (checked again)", request=DestinationChange,
                   responses=DestinationOutput)  # fmt: skip
    def patch(self, request, ws: str, destination_id: int):
        destination = self.destination(destination_id)
        data = self.valid(DestinationChange, partial=True)
        destinations.destination_update(actor=request.user, destination=destination, **data)
        return Response(self.shown(destination))

    @extend_schema(summary="Delete a destination", responses={204: None})
    def delete(self, request, ws: str, destination_id: int):
        destinations.destination_delete(
            actor=request.user, destination=self.destination(destination_id)
        )
        return Response(status=204)


class DestinationTestView(DestinationView):
    @extend_schema(
        summary="Send test: deliver one synthetic event and report the answer",
        request=None,
        responses=SendTestOutput,
    )
    def post(self, request, ws: str, destination_id: int):
        destination = self.destination(destination_id)
        return Response(
            destinations.destination_send_test(actor=request.user, destination=destination)
        )


class DeliveryDeadLettersView(DestinationView):
    @extend_schema(
        summary="Delivery dead letters of a destination", responses=DeliveryOutput(many=True)
    )
    def get(self, request, ws: str, destination_id: int):
        dead = selectors.delivery_dead_letters_of(self.destination(destination_id))
        return self.paginated(dead, DeliveryOutput)


class DeliveryReplayView(DestinationView):
    @extend_schema(summary="Send delivery dead letters again, one by one or all",
                   request=DeadLetterIds, responses=ReplayOutput)  # fmt: skip
    def post(self, request, ws: str, destination_id: int):
        destination = self.destination(destination_id)
        data = self.valid(DeadLetterIds)
        replayed = services.delivery_dead_letters_replay(
            actor=request.user, destination=destination,
            delivery_ids=None if data["all"] else data["ids"],
        )  # fmt: skip
        return Response({"replayed": replayed})


class SourceDestinationsView(WorkspaceView):
    """Where a source sends: its routing, and per destination its deliveries."""

    def state(self, source) -> dict:
        rows = list(selectors.destination_list(self.workspace))
        chosen = selectors.routing_of(source)
        stats = selectors.delivery_stats(rows, source=source)
        return {
            "destinations": chosen,
            "receiving": [
                {"id": d.pk, "name": d.name, "kind": d.kind, "enabled": d.enabled, **stats[d.pk]}
                for d in rows
                if (d.enabled if chosen is None else d.pk in chosen)
            ],
        }

    @extend_schema(summary="Where a source sends, and how its deliveries go",
                   responses=RoutingOutput)  # fmt: skip
    def get(self, request, ws: str, slug: str):
        return Response(self.state(access.source_for_user(request.user, self.workspace, slug)))

    @extend_schema(summary="Choose where a source sends", request=RoutingInput,
                   responses=RoutingOutput)  # fmt: skip
    def put(self, request, ws: str, slug: str):
        source = access.source_for_user(request.user, self.workspace, slug)
        data = self.valid(RoutingInput)
        destinations.source_routing_set(
            actor=request.user, source=source, destination_ids=data["destinations"]
        )
        return Response(self.state(source))
