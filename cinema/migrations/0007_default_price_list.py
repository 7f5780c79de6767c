"""The default price list, with the base ticket type Adult, whose prices are each
showtime's own: what everyone pays is unchanged, and staff add Child, Student, Senior...
to it or to lists of their own (docs/pricing.md)."""

from django.db import migrations


def create_default(apps, schema_editor):
    PriceList = apps.get_model("cinema", "PriceList")
    TicketType = apps.get_model("cinema", "TicketType")
    if PriceList.objects.filter(is_default=True).exists():
        return
    default = PriceList.objects.create(name="Standard", is_default=True)
    TicketType.objects.create(price_list=default, code="adult", name="Adult", position=0)


class Migration(migrations.Migration):
    dependencies = [("cinema", "0006_price_lists")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
