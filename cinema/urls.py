from rest_framework.routers import SimpleRouter

from cinema.views import HallViewSet, MovieViewSet, ShowtimeViewSet

router = SimpleRouter()
router.register("movies", MovieViewSet, basename="movie")
router.register("halls", HallViewSet, basename="hall")
router.register("showtimes", ShowtimeViewSet, basename="showtime")

urlpatterns = router.urls
