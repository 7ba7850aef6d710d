"""Locust users for `bench/load.py` (issue 16, point 6): members, coordinators and
regional staff who log in once through the real login form and then browse the main
pages. Run by `bench/load.py`, never imported by the test suite (locust patches the
standard library with gevent on import).

Environment (set by `bench/load.py`):
    BENCH_LOAD_ACCOUNTS  path of a JSON list of {"email", "kind", "slug"}; one account
                         per simulated user, handed out in order
    BENCH_LOAD_PASSWORD  the accounts' password
    BENCH_LOAD_INDICATOR indicator code for the indicator page
    BENCH_LOAD_WAIT      "min,max" think time in seconds between pages

The server is run as behind a TLS-terminating proxy (KLYNGE_HTTPS=1, one trusted
proxy): each user sends X-Forwarded-Proto: https and its own X-Forwarded-For address,
as 50 doctors at 50 clinics would arrive, so allauth's per-address login limit applies
per user as it would in production.

A page counts as failed unless it answers exactly 200 (redirects are not followed: a
302 to the login page would otherwise look like a 200). The login counts as failed
unless the POST answers 302 and sets a session cookie.
"""

from __future__ import annotations

import itertools
import json
import os
import re

from locust import HttpUser, between, task

with open(os.environ["BENCH_LOAD_ACCOUNTS"], encoding="utf-8") as accounts_file:
    ACCOUNTS = json.load(accounts_file)
PASSWORD = os.environ.get("BENCH_LOAD_PASSWORD", "klynge-demo")
INDICATOR = os.environ.get("BENCH_LOAD_INDICATOR", "ab_broad_spectrum")
WAIT_MIN, WAIT_MAX = (float(x) for x in os.environ.get("BENCH_LOAD_WAIT", "1,5").split(","))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_next_account = itertools.count()


class ClusterUser(HttpUser):
    """One account: a member or coordinator of a cluster, or a region's quality unit."""

    wait_time = between(WAIT_MIN, WAIT_MAX)

    def on_start(self) -> None:
        index = next(_next_account)
        account = ACCOUNTS[index % len(ACCOUNTS)]
        self.kind = account["kind"]
        self.slug = account["slug"]
        self.client.headers.update(
            {
                "X-Forwarded-Proto": "https",
                "X-Forwarded-For": f"10.{16 + index // 250}.{index % 250}.{1 + index % 200}",
                "Accept-Language": "da",
            }
        )
        self.login(account["email"])

    def login(self, email: str) -> None:
        with self.client.get(
            "/konto/login/", name="login (GET form)", allow_redirects=False, catch_response=True
        ) as response:
            match = CSRF.search(response.text or "")
            if response.status_code != 200 or not match:
                response.failure(f"login form: HTTP {response.status_code}, token: {bool(match)}")
                return
        referer = f"https://{self.host.split('://', 1)[-1].rstrip('/')}/konto/login/"
        with self.client.post(
            "/konto/login/",
            name="login (POST)",
            data={"login": email, "password": PASSWORD, "csrfmiddlewaretoken": match.group(1)},
            headers={"Referer": referer},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or "sessionid" not in self.client.cookies:
                response.failure(f"login as {email}: HTTP {response.status_code}, no session")

    def page(self, path: str, name: str) -> None:
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                where = response.headers.get("Location", "")
                response.failure(f"HTTP {response.status_code} {where}".strip())

    # Every kind of user: the start page, the overview, their cluster and its data.
    @task(2)
    def home(self) -> None:
        self.page("/", "/ (start page)")

    @task(1)
    def overview(self) -> None:
        self.page("/klynger/", "/klynger/ (overview)")

    @task(2)
    def cluster(self) -> None:
        self.page(f"/klynger/{self.slug}/", "/klynger/[slug]/ (cluster page)")

    @task(2)
    def dashboard(self) -> None:
        self.page(f"/klynger/{self.slug}/data/", "/klynger/[slug]/data/ (quality dashboard)")

    @task(2)
    def indicator(self) -> None:
        self.page(
            f"/klynger/{self.slug}/data/{INDICATOR}/",
            "/klynger/[slug]/data/[indicator]/ (indicator page)",
        )

    @task(1)
    def meetings(self) -> None:
        if self.kind == "region":  # meetings are for the cluster's own people
            return self.coverage()
        self.page(f"/klynger/{self.slug}/moeder/", "/klynger/[slug]/moeder/ (meetings)")

    @task(1)
    def books(self) -> None:
        if self.kind == "coordinator":
            self.page(f"/klynger/{self.slug}/regnskab/", "/klynger/[slug]/regnskab/ (books)")
        elif self.kind == "region":
            self.coverage()
        else:  # a member has no books: another look at the dashboard
            self.dashboard()

    def coverage(self) -> None:
        self.page("/daekning/", "/daekning/ (coverage)")
