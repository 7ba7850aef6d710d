"""Support desk pages and writes (thin: services write, selectors read)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView, View

from klynge.core.downloads import csv_response
from klynge.core.permissions import has_perm
from klynge.core.views import ClusterMixin, PermissionMixin, ServiceFormView
from klynge.registry.models import Region
from klynge.registry.selectors import regions_on, staff_region, staff_scope
from klynge.support import handover, inquiries, networks, reports, selectors, services
from klynge.support.forms import (
    CommitteeDecisionForm,
    CourseForm,
    DecisionForm,
    InquiryForm,
    NetworkMessageForm,
    NewNetworkMeetingForm,
    NewsForm,
    SeatReservationForm,
    SessionForm,
)
from klynge.support.mail import calendar_file
from klynge.support.models import (
    Course,
    CourseSession,
    Forwarding,
    Inquiry,
    NetworkMessage,
    NewsItem,
)

# --- News -------------------------------------------------------------------------------


def _news_form(request: HttpRequest, **kwargs: Any) -> NewsForm:
    today = timezone.localdate()
    regions = regions_on(today)
    if not getattr(request.user, "is_secretariat", False):
        post = staff_region(request.user)
        regions = Region.objects.filter(pk=post.pk) if post else Region.objects.none()
    return NewsForm(regions=regions, **kwargs)


class NewsListView(PermissionMixin, TemplateView):
    permission = "support.view_news"
    template_name = "support/news_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        can_publish = has_perm(user, "support.publish_news")
        return {
            **super().get_context_data(**kwargs),
            "news": list(selectors.news_for(user=user)[:50]),
            "can_publish": can_publish,
            "can_subscribe": has_perm(user, "support.subscribe_news"),
            "subscribed": selectors.subscribed(user),
            "form": _news_form(self.request) if can_publish else None,
        }


class NewsDetailView(PermissionMixin, TemplateView):
    permission = "support.view_news"
    template_name = "support/news_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        item = get_object_or_404(selectors.news_for(user=self.request.user), pk=self.kwargs["pk"])
        return {**super().get_context_data(**kwargs), "item": item}


class NewsFeed(Feed):
    """The public news as Atom (what is for coordinators or a region stays inside)."""

    feed_type = Atom1Feed
    title = gettext_lazy("News from the cluster programme")
    subtitle = gettext_lazy("News from the secretariat and the regional quality units")

    def link(self) -> str:
        return reverse("support:news.list")

    def items(self) -> list[NewsItem]:
        return list(selectors.public_news()[:30])

    def item_title(self, item: NewsItem) -> str:
        return item.title

    def item_description(self, item: NewsItem) -> str:
        return item.body

    def item_link(self, item: NewsItem) -> str:
        return reverse("support:news.detail", args=[item.pk])

    def item_pubdate(self, item: NewsItem):
        return item.published

    def item_updateddate(self, item: NewsItem):
        return item.published


class NewsPublishView(ServiceFormView):
    permission = "support.publish_news"
    page = NewsListView
    form_class = NewsForm

    def get_form(self) -> forms.Form:
        return _news_form(self.request, **self.get_form_kwargs())

    def success_url(self) -> str:
        return reverse("support:news.list")

    def perform(self, form: forms.Form) -> str:
        data = form.cleaned_data
        services.news_publish(
            actor=self.request.user,
            title=data["title"],
            body=data["body"],
            audience=data["audience"],
            region=data["region"],
            staff_region=staff_region(self.request.user),
        )
        return _("The news is published.")


class DigestSubscribeView(ServiceFormView):
    permission = "support.subscribe_news"

    def perform(self, form: forms.Form) -> str:
        services.digest_subscribe(user=self.request.user)
        return _("You will receive new news by e-mail.")


class DigestUnsubscribeView(ServiceFormView):
    permission = "support.subscribe_news"

    def perform(self, form: forms.Form) -> str:
        services.digest_unsubscribe(user=self.request.user)
        return _("You no longer receive the news by e-mail.")


# --- Courses ----------------------------------------------------------------------------


class CourseListView(PermissionMixin, TemplateView):
    permission = "support.view_courses"
    template_name = "support/course_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        rows = selectors.courses_with_sessions()
        sessions = [s for _course, ss in rows for s in ss]
        states = {
            st.session.pk: st for st in selectors.session_states(sessions=sessions, user=user)
        }
        can_manage = has_perm(user, "support.manage_courses")
        interests = selectors.course_interests(user=user)
        if can_manage:
            held = selectors.reservations(sessions=sessions)
            for s in sessions:
                s.reservation_list = held.get(s.pk, [])  # type: ignore[attr-defined]
                s.reserve_form = SeatReservationForm(  # type: ignore[attr-defined]
                    auto_id=f"id_reserve_{s.pk}_%s"
                )
        return {
            **super().get_context_data(**kwargs),
            "courses": [
                (course, [states[s.pk] for s in ss], interests.get(course.pk))
                for course, ss in rows
            ],
            "can_sign_up": has_perm(user, "support.sign_up"),
            "can_manage": can_manage,
            "can_see_attendance": has_perm(user, "support.view_attendance"),
            "course_form": CourseForm() if can_manage else None,
            "session_form": SessionForm() if can_manage else None,
            "reserve_form": kwargs.get("reserve_form"),
        }


class CourseCreateView(ServiceFormView):
    permission = "support.manage_courses"
    page = CourseListView
    form_class = CourseForm
    form_name = "course_form"

    def success_url(self) -> str:
        return reverse("support:course.list")

    def perform(self, form: forms.Form) -> str:
        services.course_create(actor=self.request.user, **form.cleaned_data)
        return _("The course is created. Add its sessions.")


class SessionAddView(ServiceFormView):
    permission = "support.manage_courses"
    page = CourseListView
    form_class = SessionForm
    form_name = "session_form"

    def success_url(self) -> str:
        return reverse("support:course.list")

    def perform(self, form: forms.Form) -> str:
        course = get_object_or_404(Course, pk=self.kwargs["pk"])
        services.session_add(actor=self.request.user, course=course, **form.cleaned_data)
        return _("The session is added.")


class SeatReserveView(ServiceFormView):
    """The secretariat holds seats of a session for one region until a time (★)."""

    permission = "support.manage_courses"
    page = CourseListView
    form_class = SeatReservationForm
    form_name = "reserve_form"

    def success_url(self) -> str:
        return reverse("support:course.list") + f"#hold-{self.kwargs['pk']}"

    def perform(self, form: forms.Form) -> str:
        session = get_object_or_404(CourseSession, pk=self.kwargs["pk"])
        data = form.cleaned_data
        services.seats_reserve(
            actor=self.request.user,
            session=session,
            region=data["region"],
            seats=data["seats"],
            until=data["until"],
        )
        return ngettext(
            "%(n)s seat is reserved for %(region)s.",
            "%(n)s seats are reserved for %(region)s.",
            data["seats"],
        ) % {
            "n": data["seats"],
            "region": data["region"].name,
        }


class SessionMixin:
    kwargs: dict[str, Any]

    @cached_property
    def session(self) -> CourseSession:
        return get_object_or_404(
            CourseSession.objects.select_related("course"), pk=self.kwargs["pk"]
        )


class SessionWriteView(SessionMixin, ServiceFormView):
    permission = "support.sign_up"

    def success_url(self) -> str:
        return reverse("support:course.list") + f"#hold-{self.session.pk}"


class SeatBookView(SessionWriteView):
    def perform(self, form: forms.Form) -> str:
        services.seat_book(user=self.request.user, session=self.session)
        return _("You have a seat on %(course)s.") % {"course": self.session.course.title}


class SeatCancelView(SessionWriteView):
    def perform(self, form: forms.Form) -> str:
        services.seat_cancel(user=self.request.user, session=self.session)
        return _("Your seat is cancelled.")


class WaitingJoinView(SessionWriteView):
    def perform(self, form: forms.Form) -> str:
        services.waiting_join(user=self.request.user, session=self.session)
        return _("You are on the waiting list. You will be offered a seat by e-mail if one frees.")


class WaitingLeaveView(SessionWriteView):
    def perform(self, form: forms.Form) -> str:
        services.waiting_leave(user=self.request.user, session=self.session)
        return _("You have left the waiting list.")


class CourseInterestMixin:
    """The course in the URL (404 when unknown); back to it on the course list."""

    kwargs: dict[str, Any]

    @cached_property
    def course(self) -> Course:
        return get_object_or_404(Course, pk=self.kwargs["pk"])

    def success_url(self) -> str:
        return reverse("support:course.list") + f"#kursus-{self.course.pk}"


class InterestRegisterView(CourseInterestMixin, ServiceFormView):
    """ "I would come": on the interest list of a course with no session yet."""

    permission = "support.sign_up"

    def perform(self, form: forms.Form) -> str:
        services.interest_register(user=self.request.user, course=self.course)
        return _("You are on the interest list. You will hear when a session is planned.")


class InterestWithdrawView(CourseInterestMixin, ServiceFormView):
    permission = "support.sign_up"

    def perform(self, form: forms.Form) -> str:
        services.interest_withdraw(user=self.request.user, course=self.course)
        return _("You are off the interest list.")


class OfferAcceptView(SessionWriteView):
    def perform(self, form: forms.Form) -> str:
        services.offer_accept(user=self.request.user, session=self.session)
        return _("You have a seat on %(course)s.") % {"course": self.session.course.title}


class AttendanceView(SessionMixin, PermissionMixin, TemplateView):
    permission = "support.view_attendance"
    template_name = "support/attendance.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "session": self.session,
            "bookings": selectors.attendance(session=self.session),
            "waiting": selectors.waiting_list(session=self.session),
        }


class SessionCalendarView(SessionMixin, PermissionMixin, View):
    permission = "support.view_courses"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.session.cancelled:
            raise Http404
        response = HttpResponse(
            calendar_file(self.session), content_type="text/calendar; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="kursus-{self.session.pk}.ics"'
        return response


# --- External inquiries (KNOW-4) ---------------------------------------------------------


class InquiryFormView(PermissionMixin, TemplateView):
    """The public form: no login."""

    permission = "support.submit_inquiry"
    template_name = "support/inquiry_form.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "form": InquiryForm()}


class InquirySubmitView(ServiceFormView):
    permission = "support.submit_inquiry"
    page = InquiryFormView
    form_class = InquiryForm

    def perform(self, form: forms.Form) -> HttpResponse:
        data = {k: v for k, v in form.cleaned_data.items() if k != "website"}
        inquiry = inquiries.inquiry_submit(**data)
        return HttpResponseRedirect(reverse("support:inquiry.status", args=[inquiry.token]))


class InquiryStatusView(PermissionMixin, TemplateView):
    """What became of an inquiry, by its private link."""

    permission = "support.submit_inquiry"
    template_name = "support/inquiry_status.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        inquiry = get_object_or_404(Inquiry, token=self.kwargs["token"])
        return {
            **super().get_context_data(**kwargs),
            "inquiry": inquiry,
            "clusters": inquiry.forwardings.count(),
            "opted_in": inquiry.forwardings.filter(opted_in__isnull=False).count(),
        }


class CollaborationListView(PermissionMixin, TemplateView):
    permission = "support.submit_inquiry"
    template_name = "support/collaborations.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "collaborations": selectors.public_collaborations(),
        }


class InquiryQueueView(PermissionMixin, TemplateView):
    """The secretariat's queue (and the steering committee's, for group 2)."""

    permission = "support.triage_inquiries"
    template_name = "support/inquiry_queue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "inquiries": selectors.inquiry_queue(),
            "decision_form": DecisionForm(),
        }


class CommitteeView(PermissionMixin, TemplateView):
    permission = "support.decide_group_2"
    template_name = "support/committee.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "inquiries": selectors.before_committee(),
            "decision_form": CommitteeDecisionForm(),
        }


class InquiryWriteView(ServiceFormView):
    @cached_property
    def inquiry(self) -> Inquiry:
        return get_object_or_404(Inquiry, pk=self.kwargs["pk"])

    def success_url(self) -> str:
        return reverse("support:inquiry.queue")


class InquiryTriageView(InquiryWriteView):
    permission = "support.triage_inquiries"

    def perform(self, form: forms.Form) -> str:
        inquiry = inquiries.inquiry_triage(actor=self.request.user, inquiry=self.inquiry)
        if inquiry.group == 2:
            return _("Group 2: the inquiry is put before the steering committee.")
        return _("Group 1: decide it with the regional unit concerned.")


class InquiryDecideView(InquiryWriteView):
    permission = "support.triage_inquiries"
    form_class = DecisionForm

    def perform(self, form: forms.Form) -> str:
        data = form.cleaned_data
        inquiries.inquiry_decide(
            actor=self.request.user,
            inquiry=self.inquiry,
            approve=data["decision"] == "approve",
            reason=data["reason"],
        )
        return _("The decision is recorded.")


class CommitteeDecideView(InquiryWriteView):
    permission = "support.decide_group_2"
    form_class = CommitteeDecisionForm

    def success_url(self) -> str:
        return reverse("support:committee")

    def perform(self, form: forms.Form) -> str:
        data = form.cleaned_data
        inquiries.inquiry_decide(
            actor=self.request.user,
            inquiry=self.inquiry,
            approve=data["decision"] == "approve",
            reason=data["reason"],
            meeting=data["meeting"],
        )
        return _("The committee's decision is recorded.")


class InquiryForwardView(InquiryWriteView):
    permission = "support.triage_inquiries"

    def perform(self, form: forms.Form) -> str:
        result = inquiries.inquiry_forward(actor=self.request.user, inquiry=self.inquiry)
        message = ngettext(
            "Sent to %(n)s cluster.", "Sent to %(n)s clusters.", len(result.sent)
        ) % {"n": len(result.sent)}
        if result.over_cap:
            message += " " + ngettext(
                "%(n)s matching cluster has had its inquiries this quarter.",
                "%(n)s matching clusters have had their inquiries this quarter.",
                len(result.over_cap),
            ) % {"n": len(result.over_cap)}
        return message


class ClusterInquiriesView(ClusterMixin, TemplateView):
    permission = "support.view_cluster_inquiries"
    template_name = "support/cluster_inquiries.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "forwardings": selectors.cluster_forwardings(cluster=self.cluster),
            "can_answer": has_perm(self.request.user, "support.answer_inquiry", self.cluster),
        }


class ForwardingOptInView(ClusterMixin, ServiceFormView):
    permission = "support.answer_inquiry"

    def success_url(self) -> str:
        return reverse("support:cluster.inquiries", args=[self.cluster.slug])

    def perform(self, form: forms.Form) -> str:
        forwarding = get_object_or_404(Forwarding, pk=self.kwargs["pk"], cluster=self.cluster)
        inquiries.forwarding_opt_in(actor=self.request.user, forwarding=forwarding)
        return _("The cluster has said yes; the secretariat puts you in touch.")


# --- Activity reports (OK22) -------------------------------------------------------------


def _report_year(request: HttpRequest) -> int:
    raw = request.GET.get("aar", "")
    this_year = timezone.localdate().year
    return int(raw) if raw.isdigit() and 2017 <= int(raw) <= this_year else this_year - 1


class ReportSubmitView(ClusterMixin, ServiceFormView):
    """One click: the cluster's activity report for the year goes to the secretariat."""

    permission = "support.submit_activity_report"

    def perform(self, form: forms.Form) -> str:
        year = self.kwargs["year"]
        reports.report_submit(actor=self.request.user, cluster=self.cluster, year=year)
        return _("The activity report %(year)s is sent to the secretariat.") % {"year": year}

    def success_url(self) -> str:
        return (
            reverse("meetings:activity_report", args=[self.cluster.slug])
            + f"?aar={self.kwargs['year']}"
        )


def _report_rows(request: HttpRequest) -> tuple[int, Region | None, list[reports.ReportStatus]]:
    year = _report_year(request)
    on = timezone.localdate()
    region = staff_scope(request.user, on)
    return (
        year,
        region,
        reports.report_status(year=year, region=region.pk if region else None, on=on),
    )


class ReportStatusView(PermissionMixin, TemplateView):
    """The secretariat's list (a unit's, for its region): who has sent the year's
    activity report and who has not."""

    permission = "support.view_activity_reports"
    template_name = "support/report_status.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        year, region, rows = _report_rows(self.request)
        return {
            **super().get_context_data(**kwargs),
            "year": year,
            "years": list(range(timezone.localdate().year, 2017, -1)),
            "region": region,
            "rows": rows,
            "received": sum(1 for r in rows if r.received),
            "missing": sum(1 for r in rows if not r.received),
        }


class ReportStatusCsvView(PermissionMixin, View):
    permission = "support.view_activity_reports"

    def get(self, request: HttpRequest) -> HttpResponse:
        year, _region, rows = _report_rows(request)
        header = [
            _("Cluster"),
            _("Year"),
            _("Received"),
            _("Sent on"),
            _("Meetings held"),
            _("Decisions"),
        ]
        data = [
            [
                r.cluster.name,
                year,
                r.received,
                timezone.localtime(r.submission.submitted) if r.submission else None,
                r.submission.summary.get("meetings") if r.submission else None,
                r.submission.summary.get("decisions") if r.submission else None,
            ]
            for r in rows
        ]
        return csv_response(header, data, f"aktivitetsrapporter-{year}.csv")


# --- Coordinator networks (★) ------------------------------------------------------------


class NetworkListView(PermissionMixin, TemplateView):
    """The networks the user takes part in, and a board member's opt-in."""

    permission = "support.use_networks"
    template_name = "support/networks.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        on = timezone.localdate()
        return {
            **super().get_context_data(**kwargs),
            "networks": networks.my_networks(user=user, on=on),
            "may_opt_in": networks.may_opt_in(user=user, on=on),
            "opted_in": networks.has_opted_in(user=user),
            "coordinating": networks.coordinated_clusters(user=user, on=on),
        }


class NetworkMixin:
    """The region's network in the URL; 404 to those who do not take part."""

    kwargs: dict[str, Any]
    request: HttpRequest

    @cached_property
    def region(self) -> Region:
        region = get_object_or_404(Region, pk=self.kwargs["pk"], layer="region")
        if not networks.takes_part(user=self.request.user, region=region, on=timezone.localdate()):
            raise Http404
        return region

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # After the permission: another region's network is 404 to every method.
        if has_perm(request.user, "support.use_networks"):
            self.region  # noqa: B018
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class NetworkView(NetworkMixin, PermissionMixin, TemplateView):
    permission = "support.use_networks"
    template_name = "support/network.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "region": self.region,
            "meetings": networks.network_meetings(region=self.region),
            "can_plan": has_perm(self.request.user, "meetings.plan_meeting", self.region),
            "meeting_form": NewNetworkMeetingForm(),
            "members": networks.members(region=self.region, on=timezone.localdate()),
            "messages_": NetworkMessage.objects.filter(region=self.region).select_related("author")[
                :50
            ],
            "form": kwargs.get("form") or NetworkMessageForm(),
        }


class NetworkPostView(NetworkMixin, ServiceFormView):
    permission = "support.use_networks"
    form_class = NetworkMessageForm
    page = NetworkView
    form_name = "form"

    def perform(self, form: forms.Form) -> str:
        message = networks.message_post(
            actor=self.request.user,
            region=self.region,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
        )
        n = message.mails.count()
        return ngettext(
            "The message is posted and goes to %(n)s member by e-mail.",
            "The message is posted and goes to %(n)s members by e-mail.",
            n,
        ) % {"n": n}

    def success_url(self) -> str:
        return reverse("support:network", args=[self.region.pk])


class NetworkOptInView(ServiceFormView):
    permission = "support.use_networks"

    def perform(self, form: forms.Form) -> str:
        networks.opt_in(user=self.request.user)
        return _("You are in your region's coordinator network.")

    def success_url(self) -> str:
        return reverse("support:networks")


class NetworkOptOutView(ServiceFormView):
    permission = "support.use_networks"

    def perform(self, form: forms.Form) -> str:
        networks.opt_out(user=self.request.user)
        return _("You have left the coordinator network.")

    def success_url(self) -> str:
        return reverse("support:networks")


class HandoverPackView(ClusterMixin, TemplateView):
    """The new coordinator's hand-over pack, read from the cluster's records."""

    permission = "support.view_handover_pack"
    template_name = "support/handover.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "pack": handover.handover_pack(cluster=self.cluster, on=timezone.localdate()),
        }
