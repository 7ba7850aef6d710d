"""A doctor gets into Klynge in a real browser, in Danish: the coordinator adds a new
doctor with an e-mail address; the invitation goes through the task worker and a real
SMTP server on loopback; the doctor opens the link, chooses a password and lands logged
in on the start page; the coordinator sees them as active. Then the coordinator's role
is handed to a doctor without a login, and the cluster has an active coordinator who
can log in at every step."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from klynge.accounts.models import Handover, Invitation
from klynge.accounts.services import has_login
from klynge.core.dates import today
from klynge.registry.models import Doctor, RoleKind
from klynge.registry.selectors import cluster_roles_on
from tests.e2e.conftest import log_in
from tests.smtp import Inbox
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db(transaction=True)

NEW_EMAIL = "ny.laege@koege.test"
NEW_PASSWORD = "Kvalitet-i-klyngen-7"


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def the_link(inbox: Inbox, to: str) -> str:
    (message,) = [m for m in inbox.messages if m["To"] == to]
    body = message.get_body(preferencelist=("plain",)).get_content()
    (link,) = re.findall(r"https?://\S+/konto/invitation/\S+/", body)
    return link


def coordinator_can_log_in(cluster) -> Doctor:
    (term,) = cluster_roles_on(cluster=cluster, on=today()).filter(role=RoleKind.COORDINATOR)
    assert has_login(term.doctor.user), f"{term.doctor} cannot log in"
    return term.doctor


def test_a_new_doctor_is_invited_and_lands_logged_in(
    live_server, browser, page, smtp, settings, shoot
):
    settings.KLYNGE_SITE_URL = live_server.url
    world = build_world()
    slug = world.cluster_a.slug

    # 1. The coordinator adds a new doctor with an e-mail address.
    log_in(page, live_server, "koordinator@a.test", PASSWORD)
    page.goto(f"{live_server.url}/klynger/{slug}/laeger/tilfoej/")
    page.fill("input[name=new_name]", "Nina Nyborg")
    page.fill("input[name=new_email]", NEW_EMAIL)
    page.locator("select[name=new_clinic]").select_option(index=1)
    page.fill("input[name=start]", today().strftime("%d-%m-%Y"))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    doctor = Doctor.objects.get(email=NEW_EMAIL)
    assert Invitation.objects.filter(doctor=doctor).count() == 1

    # 2. The coordinator sees them as invited.
    page.goto(f"{live_server.url}/klynger/{slug}/personer/")
    row = page.locator("tr", has_text="Nina Nyborg")
    assert "Inviteret" in row.inner_text()
    shoot(page, "personer-inviteret")

    # 3. The worker sends the invitation through SMTP.
    run_worker()
    link = the_link(smtp, NEW_EMAIL)
    assert link.startswith(live_server.url)
    message = next(m for m in smtp.messages if m["To"] == NEW_EMAIL)
    assert "Køgeklyngen" in str(message["Subject"])

    # 4. The doctor opens the link on their phone, chooses a password, and is logged in.
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, locale="da-DK"
    )
    doctor_page = context.new_page()
    doctor_page.goto(link)
    assert doctor_page.get_by_role("heading", name="Opret dit login").is_visible()
    doctor_page.get_by_label("Vælg en adgangskode").fill(NEW_PASSWORD)
    doctor_page.get_by_label("Adgangskoden igen").fill(NEW_PASSWORD)
    shoot(doctor_page, "invitation-mobil")
    doctor_page.get_by_role("button", name="Gem adgangskoden og log ind").click()
    doctor_page.wait_for_load_state("networkidle")
    assert doctor_page.url == f"{live_server.url}/"
    assert doctor_page.get_by_text(f"Logget ind som {NEW_EMAIL}").first.is_visible()
    doctor.refresh_from_db()
    assert doctor.user is not None and doctor.user.last_login is not None

    # The link works once.
    doctor_page.goto(link)
    assert doctor_page.get_by_text("Denne invitation er allerede brugt").is_visible()
    context.close()

    # 5. The coordinator sees the doctor as active; no "send again" for them.
    page.goto(f"{live_server.url}/klynger/{slug}/personer/")
    row = page.locator("tr", has_text="Nina Nyborg")
    assert "Aktiv" in row.inner_text()
    assert row.get_by_role("button").count() == 0


def test_the_coordinator_hands_over_and_the_cluster_is_never_without_one(
    live_server, browser, page, smtp, settings
):
    settings.KLYNGE_SITE_URL = live_server.url
    world = build_world()
    cluster, slug = world.cluster_a, world.cluster_a.slug
    old = coordinator_can_log_in(cluster)
    newcomer = Doctor.objects.filter(clinic__in=world.clinics_a, user__isnull=True).first()

    # 1. The coordinator gives the newcomer an e-mail on the people page: invited.
    log_in(page, live_server, "koordinator@a.test", PASSWORD)
    page.goto(f"{live_server.url}/klynger/{slug}/personer/")
    page.get_by_label(f"E-mail for {newcomer.name}").fill("ny.koordinator@koege.test")
    page.locator("tr", has_text=newcomer.name).get_by_role("button", name="Invitér").click()
    page.wait_for_load_state("networkidle")
    assert coordinator_can_log_in(cluster) == old

    # 2. … and hands over the coordinator's role to them: it waits for their login.
    page.goto(f"{live_server.url}/klynger/{slug}/roller/tilfoej/")
    page.locator("select[name=role]").select_option("coordinator")
    page.locator("select[name=doctor]").select_option(str(newcomer.pk))
    page.fill("input[name=start]", today().strftime("%d-%m-%Y"))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert Handover.objects.filter(doctor=newcomer, completed__isnull=True).exists()
    assert coordinator_can_log_in(cluster) == old
    page.goto(f"{live_server.url}/klynger/{slug}/personer/")
    assert page.get_by_role("heading", name="Overdragelser, der venter på et login").is_visible()

    # 3. "Send igen": a new link; the first one stops working.
    run_worker()
    first = the_link(smtp, "ny.koordinator@koege.test")
    page.get_by_role("button", name=f"Send invitationen til {newcomer.name} igen").click()
    page.wait_for_load_state("networkidle")
    assert coordinator_can_log_in(cluster) == old
    run_worker()
    links = {
        re.findall(r"https?://\S+/konto/invitation/\S+/", m.get_body(("plain",)).get_content())[0]
        for m in smtp.messages
        if m["To"] == "ny.koordinator@koege.test"
    }
    (second,) = links - {first}

    # 4. The newcomer accepts the newest link: the role passes the same day.
    context = browser.new_context(locale="da-DK")
    newcomer_page = context.new_page()
    newcomer_page.goto(first)
    assert newcomer_page.get_by_text("En nyere invitation er sendt til dig").is_visible()
    newcomer_page.goto(second)
    newcomer_page.get_by_label("Vælg en adgangskode").fill(NEW_PASSWORD)
    newcomer_page.get_by_label("Adgangskoden igen").fill(NEW_PASSWORD)
    newcomer_page.get_by_role("button", name="Gem adgangskoden og log ind").click()
    newcomer_page.wait_for_load_state("networkidle")
    assert newcomer_page.url == f"{live_server.url}/"
    context.close()
    assert coordinator_can_log_in(cluster) == newcomer
    assert not Handover.objects.filter(completed__isnull=True).exists()
