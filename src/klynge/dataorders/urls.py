from django.urls import path

from klynge.dataorders import views

app_name = "dataorders"
ORDER = "dataordrer/<int:pk>/"
urlpatterns = [
    path("dataordrer/", views.QueueView.as_view(), name="queue"),
    path("klynger/<slug:slug>/dataordrer/", views.ClusterOrdersView.as_view(), name="list"),
    path(
        "klynger/<slug:slug>/dataordrer/bestil/",
        views.OrderCreateView.as_view(),
        name="order.create",
    ),
    path(
        "klynger/<slug:slug>/dataordrer/samtykke/",
        views.ConsentPageView.as_view(),
        name="consent",
    ),
    path(
        "klynger/<slug:slug>/dataordrer/samtykke/giv/",
        views.ConsentGiveView.as_view(),
        name="consent.give",
    ),
    path(ORDER, views.OrderDetailView.as_view(), name="detail"),
    path(ORDER + "accepter/", views.OrderAcceptView.as_view(), name="order.accept"),
    path(ORDER + "i-gang/", views.OrderStartView.as_view(), name="order.start"),
    path(ORDER + "afvis/", views.OrderDeclineView.as_view(), name="order.decline"),
    path(ORDER + "lever/", views.OrderDeliverView.as_view(), name="order.deliver"),
    path(ORDER + "besked/", views.MessageAddView.as_view(), name="message.add"),
    path(ORDER + "set/", views.OrderSeenView.as_view(), name="order.seen"),
]
