"""Data submission through the REST API (DATA-2, PLAT-3): the same checks and writer
as the web upload and the command line.

    curl -H "Authorization: Token <key>" -F file=@data.csv https://…/api/v1/imports/

A rejected file answers 400 with every error (line, column, message); a small file
answers 201 when written; a large one 202 while the worker imports it (poll the run).
Create a token with `python manage.py api_token_create <e-mail>` (the key is shown once).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from klynge.api.permissions import EnginePermission
from klynge.api.schema import MAX_ID, ErrorOutput, errors, whole_number
from klynge.quality import services
from klynge.quality.models import ImportRun, ImportStatus


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file sent as a multipart part (documented as binary, not as a URL)."""


class ImportInput(serializers.Serializer):
    file = UploadField(help_text="The CSV or XLSX file.")


class ImportErrorOutput(serializers.Serializer):
    line = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class ImportRunOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    status = serializers.ChoiceField(choices=ImportStatus.choices)
    filename = serializers.CharField()
    rows_total = serializers.IntegerField()
    rows_written = serializers.IntegerField()
    rows_replaced = serializers.IntegerField()
    error_count = serializers.IntegerField()
    errors = ImportErrorOutput(many=True)
    progress = serializers.IntegerField()


def _status_code(run: ImportRun) -> int:
    return {
        ImportStatus.SUCCEEDED: status.HTTP_201_CREATED,
        ImportStatus.FAILED: status.HTTP_400_BAD_REQUEST,
        ImportStatus.ERROR: status.HTTP_500_INTERNAL_SERVER_ERROR,
    }.get(ImportStatus(run.status), status.HTTP_202_ACCEPTED)


_REJECTED = PolymorphicProxySerializer(
    component_name="ImportRejected",
    serializers=[ImportRunOutput, ErrorOutput],
    resource_type_field_name=None,
)


class ImportCreateApi(APIView):
    permission_classes = [EnginePermission]
    permission = "quality.import"
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": ImportInput},
        responses={
            201: OpenApiResponse(ImportRunOutput, description="Checked and written."),
            202: OpenApiResponse(
                ImportRunOutput, description="A large file: queued for the worker; poll the run."
            ),
            400: OpenApiResponse(
                _REJECTED,
                description="The file was refused (the run, with every error by line and "
                "column; nothing written), or the request holds no file (`Error`).",
            ),
            **errors(401, 403),
            500: OpenApiResponse(
                ImportRunOutput, description="The import broke off; the run can be retried."
            ),
        },
        summary="Import indicator values from a CSV or XLSX file",
    )
    def post(self, request):
        data = ImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        run = services.import_start(
            actor=request.user, data=upload.read(), filename=upload.name, source="api"
        )
        return Response(ImportRunOutput(run).data, status=_status_code(run))


class ImportRunApi(APIView):
    permission_classes = [EnginePermission]
    permission = "quality.view_import"
    object_permission = True

    @extend_schema(
        parameters=[
            OpenApiParameter("id", whole_number(1), OpenApiParameter.PATH, description="The run.")
        ],
        responses={200: ImportRunOutput, **errors(401, 404)},
        summary="The state of an import",
    )
    def get(self, request, pk: str):
        number = int(pk) if pk.isascii() and pk.isdigit() else 0
        run = ImportRun.objects.filter(pk=number).first() if 0 < number <= MAX_ID else None
        if run is None:
            raise NotFound
        self.check_object_permissions(request, run)
        return Response(ImportRunOutput(run).data)
