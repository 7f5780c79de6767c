from typing import NotRequired

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from core.schema import ApiError, TokenMessage, domain_errors
from users import services
from users.exceptions import LastAdminError, NoLongerAdmin, OwnRoleChangeError
from users.models import User
from users.permissions import IsAdminRole
from users.serializers import (
    CompatSignupSerializer,
    LoginSerializer,
    LogoutSerializer,
    RaceFreeTokenRefreshSerializer,
    TokenPairSerializer,
    UserMeUpdateSerializer,
    UserRegisterSerializer,
    UserRoleUpdateSerializer,
    UserSerializer,
)
from users.throttles import (
    LoginIPThrottle,
    LoginUsernameThrottle,
    RegisterIPThrottle,
    RegisterUsernameThrottle,
)


@extend_schema(
    tags=["auth"],
    auth=[],
    request=UserRegisterSerializer,
    responses={201: UserSerializer},
    summary="Create a customer account",
)
class RegisterView(generics.CreateAPIView):
    serializer_class = UserRegisterSerializer
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [RegisterIPThrottle, RegisterUsernameThrottle]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["compatibility"],
    auth=[],
    request=CompatSignupSerializer,
    responses={201: UserSerializer},
    summary="Sign up (compatibility: as POST /api/auth/register/, but the email is optional)",
)
class CompatSignupView(RegisterView):
    """``POST /api/signup/`` of the API Marquee replaces."""

    serializer_class = CompatSignupSerializer


@extend_schema(
    tags=["auth"],
    auth=[],
    responses={
        200: TokenPairSerializer,
        **domain_errors(
            ApiError(
                401, "no_active_account", "No active account found with the given credentials."
            )
        ),
    },
    summary="Log in: username and password for a token pair",
)
class LoginView(TokenObtainPairView):
    serializer_class = LoginSerializer
    throttle_classes = [LoginIPThrottle, LoginUsernameThrottle]


@extend_schema(
    tags=["compatibility"],
    summary="Log in (compatibility: the same as POST /api/auth/login/)",
)
class CompatLoginView(LoginView):
    """``POST /api/login/`` of the API Marquee replaces."""


@extend_schema(
    tags=["auth"],
    auth=[],
    summary="Rotate a refresh token",
    responses={
        200: TokenPairSerializer,
        **domain_errors(
            ApiError(
                401,
                "token_not_valid",
                "The refresh token is invalid, expired or already used.",
                {"messages": NotRequired[list[TokenMessage]]},
            )
        ),
    },
    description="Returns a new access and refresh token; the refresh token sent is "
    "blacklisted, so sending it again is 401.",
)
class RefreshView(TokenRefreshView):
    serializer_class = RaceFreeTokenRefreshSerializer


@extend_schema(
    tags=["auth"],
    request=LogoutSerializer,
    responses={
        204: OpenApiResponse(description="The refresh token is blacklisted."),
    },
    summary="Log out: blacklist a refresh token",
)
class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token = RefreshToken(serializer.validated_data["refresh"])
        except TokenError:
            return Response(
                {"refresh": ["The refresh token is invalid, expired or already logged out."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if str(token.payload.get(jwt_settings.USER_ID_CLAIM)) != str(request.user.pk):
            return Response(
                {"refresh": ["The refresh token belongs to another user."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        token.blacklist()
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(tags=["users"], summary="Your profile"),
    patch=extend_schema(
        tags=["users"],
        request=UserMeUpdateSerializer,
        responses={200: UserSerializer},
        summary="Update your profile (the role cannot be changed here)",
    ),
)
class MeView(generics.RetrieveUpdateAPIView):
    serializer_class = UserSerializer
    permission_classes = [IsAuthenticated]
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user

    def get_serializer_class(self):
        if self.request.method == "PATCH":
            return UserMeUpdateSerializer
        return UserSerializer

    def update(self, request, *args, **kwargs):
        serializer = UserMeUpdateSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, **serializer.validated_data)
        return Response(UserSerializer(user).data)


@extend_schema_view(
    list=extend_schema(tags=["users"], summary="All users (ADMIN)"),
    retrieve=extend_schema(tags=["users"], summary="One user (ADMIN)"),
    partial_update=extend_schema(
        tags=["users"],
        request=UserRoleUpdateSerializer,
        responses={
            200: UserSerializer,
            **domain_errors(OwnRoleChangeError, NoLongerAdmin, LastAdminError),
        },
        summary="Promote or demote a user (ADMIN)",
        description="An admin cannot change their own role (400 `own_role_change`), and "
        "the last active admin cannot be demoted (409 `last_admin`).",
    ),
)
class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = User.objects.all()
    serializer_class = UserSerializer
    permission_classes = [IsAdminRole]
    http_method_names = ["get", "patch", "head", "options"]
    lookup_value_regex = r"\d+"
    filterset_fields = ["role"]
    search_fields = ["username", "email", "first_name", "last_name"]
    ordering_fields = ["id", "username", "date_joined"]

    def partial_update(self, request, *args, **kwargs):
        user = self.get_object()
        serializer = UserRoleUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_set_role(
            user=user, role=serializer.validated_data["role"], by=request.user
        )
        return Response(UserSerializer(user).data)
