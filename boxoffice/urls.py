from django.urls import path

from boxoffice.views import CounterSaleView

urlpatterns = [
    path("box-office/sales/", CounterSaleView.as_view(), name="box-office-sales"),
]
