from rest_framework.routers import SimpleRouter

from cinema.views import HallViewSet, MovieViewSet, PriceListViewSet, ShowtimeViewSet

router = SimpleRouter()
router.register("movies", MovieViewSet, basename="movie")
router.register("halls", HallViewSet, basename="hall")
router.register("showtimes", ShowtimeViewSet, basename="showtime")
router.register("price-lists", PriceListViewSet, basename="price-list")

urlpatterns = router.urls
