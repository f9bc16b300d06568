from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from catalog import views as catalog_views
from ingest.urls import api_urlpatterns as ingest_api
from ingest.urls import hook_urlpatterns

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("hooks/", include(hook_urlpatterns)),
    path("api/v1/", include(ingest_api)),
    path("api/v1/", include("catalog.urls")),
    path("invite/<str:token>/", catalog_views.accept_invite, name="accept-invite"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("frontend.urls")),
]
