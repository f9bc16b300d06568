"""Every write and business rule of the catalog. Import from here:
`from catalog.services import function_deploy`."""

from catalog.services.audit import audit_record
from catalog.services.functions import (
    Deployment,
    function_create,
    function_delete,
    function_deploy,
    function_restore,
    function_save,
    function_set_test_values,
)
from catalog.services.members import (
    MemberAdded,
    invite_accept,
    invite_create,
    member_add,
    member_reinvite,
    member_remove,
    member_update,
    token_authenticate,
    token_create,
    token_revoke,
    user_get_or_create,
    workspace_create,
)
from catalog.services.sources import (
    source_create,
    source_delete,
    source_rotate_token,
    source_runtime_settings,
    source_update,
    source_upgrade,
)
from catalog.services.test_runs import code_test_run, function_test_run, normalize_request

__all__ = [
    "Deployment",
    "MemberAdded",
    "audit_record",
    "code_test_run",
    "function_create",
    "function_delete",
    "function_deploy",
    "function_restore",
    "function_save",
    "function_set_test_values",
    "function_test_run",
    "invite_accept",
    "invite_create",
    "member_add",
    "member_reinvite",
    "member_remove",
    "member_update",
    "normalize_request",
    "source_create",
    "source_delete",
    "source_rotate_token",
    "source_runtime_settings",
    "source_update",
    "source_upgrade",
    "token_authenticate",
    "token_create",
    "token_revoke",
    "user_get_or_create",
    "workspace_create",
]
