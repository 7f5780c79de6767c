from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import Action, AuditEntry


class AuditActorSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="actor_id")
    username = serializers.CharField(source="actor_username")


class AuditObjectSerializer(serializers.Serializer):
    type = serializers.SerializerMethodField(
        help_text="`<app>.<model>`, e.g. `bookings.reservation`."
    )
    id = serializers.CharField(source="object_id")
    label = serializers.CharField(source="object_label", help_text="As it read at the time.")

    def get_type(self, entry) -> str:
        return f"{entry.content_type.app_label}.{entry.content_type.model}"


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField(help_text="Who acted; null: the system.")
    action = serializers.ChoiceField(choices=Action.choices)
    object = AuditObjectSerializer(source="*", help_text="What it was done to.")
    ip = serializers.CharField(help_text="The client's address; empty outside a request.")
    before = serializers.JSONField(help_text="The fields that changed, as they were.")
    after = serializers.JSONField(help_text="The fields that changed, as they became.")

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "action", "object", "ip", "before", "after"]

    @extend_schema_field(AuditActorSerializer(allow_null=True))
    def get_actor(self, entry):
        if entry.actor_id is None:
            return None
        return AuditActorSerializer(entry).data
