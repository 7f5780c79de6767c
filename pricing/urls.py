from rest_framework.routers import SimpleRouter

from pricing.views import VoucherViewSet

router = SimpleRouter()
router.register("vouchers", VoucherViewSet, basename="voucher")

urlpatterns = router.urls
