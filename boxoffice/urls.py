from django.urls import path
from rest_framework.routers import SimpleRouter

from boxoffice.views import CounterSaleView, ShiftViewSet

router = SimpleRouter()
router.register("shifts", ShiftViewSet, basename="shift")

urlpatterns = [
    path("box-office/sales/", CounterSaleView.as_view(), name="box-office-sales"),
    *router.urls,
]
