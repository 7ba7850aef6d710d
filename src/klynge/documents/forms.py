"""Input forms of the archive. They only parse; the checks of the file itself (size,
content) live in `services.document_upload` so every caller gets them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from klynge.documents.selectors import archive_folders
from klynge.registry.models import Cluster

ACCEPT = ".pdf,.docx,.xlsx,.pptx,.odt,.ods,.png,.jpg,.jpeg,.txt,.csv"


class _FolderChoiceForm(forms.Form):
    """A form whose `choice_field` chooses among the cluster's folders, shown by their
    path in tree order; its cleaned value is the `Folder` (or None when optional)."""

    choice_field = "folder"

    def __init__(self, *args: Any, cluster: Cluster, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rows = archive_folders(cluster=cluster)
        self._folders = {row.folder.pk: row.folder for row in rows}
        field = self.fields[self.choice_field]
        assert isinstance(field, forms.TypedChoiceField)
        empty = [] if field.required else [("", _("(top level)"))]
        field.choices = empty + [(row.folder.pk, row.path) for row in rows]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        pk = data.get(self.choice_field)
        data[self.choice_field] = self._folders.get(pk) if pk not in (None, "") else None
        return data


def _folder_field(*, label: Any, required: bool = True) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, coerce=int, required=required, empty_value=None)


class UploadForm(_FolderChoiceForm):
    folder = _folder_field(label=_("Folder"))
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the file name."),
    )
    file = forms.FileField(
        label=_("File"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class VersionForm(forms.Form):
    file = forms.FileField(
        label=_("File"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)


class FolderForm(_FolderChoiceForm):
    choice_field = "parent"

    name = forms.CharField(label=_("Name"), max_length=100)
    parent = _folder_field(label=_("Inside folder"), required=False)
