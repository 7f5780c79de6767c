from django.db import DEFAULT_DB_ALIAS
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.response import Response

from core.schema import domain_errors
from pricing import selectors, services
from pricing.exceptions import VoucherInUse
from pricing.models import Voucher
from pricing.serializers import VoucherSerializer, VoucherWriteSerializer
from users.permissions import IsAdminRole

_TAGS = ["prices"]


@extend_schema_view(
    list=extend_schema(
        tags=_TAGS,
        summary="Vouchers with their uses (ADMIN)",
        responses={200: VoucherSerializer(many=True)},
    ),
    retrieve=extend_schema(
        tags=_TAGS, summary="One voucher (ADMIN)", responses={200: VoucherSerializer}
    ),
    create=extend_schema(
        tags=_TAGS,
        summary="Add a voucher (ADMIN)",
        description="Codes are unique in any case (`school24` is `SCHOOL24`). A PERCENT "
        "value is at most 100; `valid_until` after `valid_from`.",
        request=VoucherWriteSerializer,
        responses={201: VoucherSerializer},
    ),
    update=extend_schema(
        tags=_TAGS,
        summary="Replace a voucher (ADMIN)",
        request=VoucherWriteSerializer,
        responses={200: VoucherSerializer},
    ),
    partial_update=extend_schema(
        tags=_TAGS,
        summary="Change a voucher (ADMIN)",
        description="Uses already made stay; a lower `max_uses` only refuses new ones. "
        "`active: false` stops it.",
        request=VoucherWriteSerializer,
        responses={200: VoucherSerializer},
    ),
    destroy=extend_schema(
        tags=_TAGS,
        summary="Delete a voucher (ADMIN)",
        description="Refused with 409 `protected` once a reservation used it: deactivate "
        "it instead.",
        responses={204: OpenApiResponse(description="Deleted."), **domain_errors(VoucherInUse)},
    ),
)
class VoucherViewSet(viewsets.ModelViewSet):
    permission_classes = [IsAdminRole]
    filter_backends = []
    queryset = Voucher.objects.none()  # for schema introspection; see get_queryset

    def get_queryset(self):
        return selectors.voucher_list()

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return VoucherWriteSerializer
        return VoucherSerializer

    def _detail(self, voucher, status_code=status.HTTP_200_OK):
        voucher = selectors.voucher_list().using(DEFAULT_DB_ALIAS).get(pk=voucher.pk)
        return Response(VoucherSerializer(voucher).data, status=status_code)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(VoucherSerializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(VoucherSerializer(self.get_object()).data)

    def create(self, request, *args, **kwargs):
        serializer = VoucherWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        voucher = services.voucher_create(**serializer.validated_data)
        return self._detail(voucher, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        voucher = self.get_object()
        serializer = VoucherWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        voucher = services.voucher_update(voucher=voucher, **serializer.validated_data)
        return self._detail(voucher)

    def destroy(self, request, *args, **kwargs):
        services.voucher_delete(voucher=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
