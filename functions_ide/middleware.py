"""Content-Security-Policy for every response (Django 5.2 has no CSP of its own).

Only our own origin: scripts are bundles under /static/ (page data goes in
`json_script` blocks, which are not executed). Monaco needs two allowances: it injects
<style> elements and style attributes ('unsafe-inline' styles) and starts web workers
(same-origin files, or blob: URLs). A response that already has a policy keeps it.
"""

from django.conf import settings

DEFAULT_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", "") or DEFAULT_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response
