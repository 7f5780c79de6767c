from django.urls import path
from rest_framework.routers import SimpleRouter

from users import views

router = SimpleRouter()
router.register("users", views.UserViewSet, basename="user")

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/refresh/", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("users/me/", views.MeView.as_view(), name="user-me"),
    # Compatibility routes of the API Marquee replaces.
    path("signup/", views.CompatSignupView.as_view(), name="compat-signup"),
    path("login/", views.CompatLoginView.as_view(), name="compat-login"),
    *router.urls,
]
