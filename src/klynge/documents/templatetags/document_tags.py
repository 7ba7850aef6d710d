"""`{{ version.size|filesize }}` → `1,2 MB`."""

from django import template

from klynge.documents import formatting

register = template.Library()


@register.filter
def filesize(value):
    return formatting.filesize(value)
