from rest_framework import serializers


class QueuePlaceSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["waiting", "admitted", "expired"],
        help_text="`waiting`: poll again after `poll_after` seconds. `admitted`: book with "
        "`pass` (header `Queue-Pass`) before `pass_expires_at`. `expired`: the pass ran "
        "out; join again (POST) for a new place at the back.",
    )
    position = serializers.IntegerField(
        min_value=1, help_text="Your place in the queue, 1 for the first."
    )
    ahead = serializers.IntegerField(
        min_value=0, help_text="People ahead of you still waiting to be admitted."
    )
    estimated_wait_seconds = serializers.IntegerField(
        min_value=0,
        help_text="Until you are admitted, at the current rate (and the opening, before "
        "it); 0 once admitted.",
    )
    poll_after = serializers.IntegerField(
        min_value=0, help_text="Seconds to wait before asking again (0: no need)."
    )
    paused = serializers.BooleanField(help_text="Staff paused admissions for now.")
    token = serializers.CharField(
        help_text="Names your place: send it as `?token=` to ask where you are."
    )
    # "pass" is a Python keyword: the field is declared below under its JSON name.
    pass_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When the pass stops being accepted; null until admitted."
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["pass"] = serializers.CharField(
            allow_null=True,
            source="queue_pass",
            help_text="The signed pass (for you, for this showtime) once admitted, else "
            "null: send it as the `Queue-Pass` header of POST /api/reservations/.",
        )
        return fields
