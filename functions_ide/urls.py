from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from catalog import views as catalog_views
from functions_ide import ops
from ingest.urls import api_urlpatterns as ingest_api
from ingest.urls import hook_urlpatterns

urlpatterns = [
    path("login/", catalog_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", ops.healthz, name="healthz"),
    path("metrics", ops.metrics, name="metrics"),
    path("hooks/", include(hook_urlpatterns)),
    path("api/v1/", include(ingest_api)),
    path("api/v1/", include("catalog.urls")),
    path("invite/<str:token>/", catalog_views.accept_invite, name="accept-invite"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script as a file: no inline script under our CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("frontend.urls")),
]

handler403 = "frontend.views.refused"
handler404 = "frontend.views.not_found"
