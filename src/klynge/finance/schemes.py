"""The default grant scheme of the configured jurisdiction (`klynge.core.jurisdiction`).

Denmark: the guide's scheme (Vejledning om klyngetilskud): 10,000 kr. per doctor
capacity once, 4.26 kr. per listed patient per year, supplementary 2.16 kr. in 2019
and 2020 and 0.47 kr. in 2021; no minimum. England: an illustrative flat rate, labelled
as such. Regions can add schemes valid from later dates. Used by the data migration, the
demo generator and tests that restore a flushed database."""

from klynge.core import jurisdiction

DEFAULT_SCHEME = jurisdiction.DENMARK.grant_schemes[0]


def _defaults(scheme) -> dict:
    return {k: v for k, v in scheme.items() if k != "valid_from"}


def ensure_default_scheme(GrantScheme) -> None:
    """Create the active jurisdiction's default schemes where no scheme is valid from
    their date (an existing scheme, perhaps edited by a region, is kept)."""
    for scheme in jurisdiction.active().grant_schemes:
        GrantScheme.objects.get_or_create(
            valid_from=scheme["valid_from"], defaults=_defaults(scheme)
        )


def install_default_schemes(GrantScheme) -> None:
    """For the demo, which may build one jurisdiction's data in a database that held
    another's: remove the other jurisdictions' default schemes (same date and name) and
    put the active one's in place."""
    mine = jurisdiction.active().grant_schemes
    for other in jurisdiction.JURISDICTIONS.values():
        for scheme in other.grant_schemes:
            if scheme not in mine:
                GrantScheme.objects.filter(
                    valid_from=scheme["valid_from"], name=scheme["name"]
                ).delete()
    ensure_default_scheme(GrantScheme)
