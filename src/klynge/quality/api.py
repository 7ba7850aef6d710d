"""Data submission through the REST API (DATA-2, PLAT-3): the same checks and writer
as the web upload and the command line.

    curl -H "Authorization: Token <key>" -F file=@data.csv https://…/api/v1/imports/

A rejected file answers 400 with every error (line, column, message); a small file
answers 201 when written; a large one 202 while the worker imports it (poll the run).
Create a token with `python manage.py api_token_create <e-mail>` (the key is shown once).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from klynge.core.permissions import has_perm
from klynge.quality import services
from klynge.quality.models import ImportRun, ImportStatus


class ImportInput(serializers.Serializer):
    file = serializers.FileField()


class ImportErrorOutput(serializers.Serializer):
    line = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class ImportRunOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    status = serializers.CharField()
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


class ImportCreateApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": ImportInput},
        responses={201: ImportRunOutput, 202: ImportRunOutput, 400: ImportRunOutput},
        summary="Import indicator values from a CSV or XLSX file",
    )
    def post(self, request):
        if not has_perm(request.user, "quality.import"):
            return Response(
                {"detail": "You may not import data."}, status=status.HTTP_403_FORBIDDEN
            )
        data = ImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        run = services.import_start(
            actor=request.user, data=upload.read(), filename=upload.name, source="api"
        )
        return Response(ImportRunOutput(run).data, status=_status_code(run))


class ImportRunApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ImportRunOutput, summary="The state of an import")
    def get(self, request, pk: int):
        run = ImportRun.objects.filter(pk=pk).first()
        if run is None or not has_perm(request.user, "quality.view_import", run):
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        return Response(ImportRunOutput(run).data)
