"""A function's samples through the REST API: a function made from a template keeps the
template's samples, each with its own test settings; a run of a sample uses its settings
only (the signed sample's secret never reaches the unsigned one, nor the function's test
values it); secret test values can be cleared, a sample's and the function's."""

import pytest

from catalog.function_templates import get_template
from catalog.models import AuditEntry, FunctionSample
from tests.catalog.helpers import API, create_function

pytestmark = pytest.mark.django_db

STRIPE_SECRET = get_template("stripe").samples[1]["settings"]["signingSecret"]


def samples_of(api, function) -> list[dict]:
    answer = api.get(f"{API}/functions/{function['id']}/samples/")
    assert answer.status_code == 200, answer.json()
    return answer.json()["results"]


def by_name(samples: list[dict]) -> dict:
    return {sample["name"]: sample for sample in samples}


def run(api, function, **body) -> dict:
    answer = api.post(f"{API}/functions/{function['id']}/test/", body, format="json")
    assert answer.status_code == 200, answer.json()
    return answer.json()


def test_a_function_from_a_template_keeps_its_samples_with_their_settings(owner_api):
    stripe = create_function(owner_api, name="Stripe", template="stripe")

    samples = samples_of(owner_api, stripe)

    assert [s["name"] for s in samples] == [s["name"] for s in get_template("stripe").samples]
    signed = by_name(samples)["charge.succeeded (signed)"]
    assert signed["settings"] == {"signingSecret": {"set": True}}
    assert "rawBody" in signed["request"] and "Stripe-Signature" in signed["request"]["headers"]
    assert by_name(samples)["invoice.paid"]["settings"] == {"signingSecret": {"set": False}}
    # The secret is kept encrypted and never shown.
    assert STRIPE_SECRET not in str(samples)
    stored = FunctionSample.objects.get(function_id=stripe["id"], name=signed["name"])
    assert stored.test_secrets == {"signingSecret": STRIPE_SECRET} and stored.test_values == {}
    entry = AuditEntry.objects.get(action="function.create")
    assert signed["name"] in entry.details["samples"]


def test_each_sample_runs_with_its_own_settings_only(owner_api, celery_worker):
    stripe = create_function(owner_api, name="Stripe", template="stripe")
    samples = by_name(samples_of(owner_api, stripe))
    # The function's own test value is a secret too: no sample run may take it.
    kept = owner_api.patch(
        f"{API}/functions/{stripe['id']}/test-settings/",
        {"settings": {"signingSecret": "whsec_of_the_function"}},
        format="json",
    )
    assert kept.status_code == 200

    signed = run(owner_api, stripe, sample=samples["charge.succeeded (signed)"]["id"])
    assert signed["error"] is None, signed["error"]
    assert [e["event"] for e in signed["events"]] == ["Charge Succeeded"]

    unsigned = run(owner_api, stripe, sample=samples["invoice.paid"]["id"])
    assert unsigned["error"] is None, unsigned["error"]
    assert [e["event"] for e in unsigned["events"]] == ["Invoice Paid"]

    # The request as the editor shows it, with the sample's settings.
    request = get_template("stripe").samples[1]["request"]
    shown = run(
        owner_api, stripe, request=request, sample=samples["charge.succeeded (signed)"]["id"]
    )
    assert shown["error"] is None, shown["error"]
    # Without a sample the function's test values apply: its secret does not sign this.
    alone = run(owner_api, stripe, request=request)
    assert alone["error"]["name"] == "ValidationError"


def test_a_runs_settings_may_leave_a_stored_secret_out(owner_api, celery_worker):
    stripe = create_function(owner_api, name="Stripe", template="stripe")
    signed = by_name(samples_of(owner_api, stripe))["charge.succeeded (signed)"]
    body = get_template("stripe").samples[3]["request"]  # invoice.paid, unsigned

    with_secret = run(owner_api, stripe, request=body, sample=signed["id"])
    without = run(
        owner_api, stripe, request=body, sample=signed["id"], settings={"signingSecret": None}
    )

    assert with_secret["error"]["name"] == "ValidationError"  # no Stripe-Signature header
    assert without["error"] is None and without["events"][0]["event"] == "Invoice Paid"


def test_a_samples_secret_is_cleared_with_null_and_kept_when_absent(owner_api):
    stripe = create_function(owner_api, name="Stripe", template="stripe")
    signed = by_name(samples_of(owner_api, stripe))["charge.succeeded (signed)"]
    url = f"{API}/functions/{stripe['id']}/samples/{signed['id']}/"

    kept = owner_api.patch(url, {"settings": {"signingSecret": {"set": True}}}, format="json")
    assert kept.json()["settings"] == {"signingSecret": {"set": True}}
    renamed = owner_api.patch(url, {"name": "signed charge"}, format="json")
    assert renamed.json()["settings"] == {"signingSecret": {"set": True}}

    cleared = owner_api.patch(url, {"settings": {"signingSecret": None}}, format="json")

    assert cleared.status_code == 200, cleared.json()
    assert cleared.json()["settings"] == {"signingSecret": {"set": False}}
    assert FunctionSample.objects.get(pk=signed["id"]).test_secrets == {}
    entry = AuditEntry.objects.filter(action="sample.update").latest("id")
    assert entry.details["settings_changed"] == ["signingSecret"]
    assert STRIPE_SECRET not in str(entry.details)


def test_the_functions_secret_test_value_is_cleared_with_null_or_empty(owner_api):
    stripe = create_function(owner_api, name="Stripe", template="stripe")
    url = f"{API}/functions/{stripe['id']}/test-settings/"
    owner_api.patch(url, {"settings": {"signingSecret": "whsec_1"}}, format="json")

    nulled = owner_api.patch(url, {"settings": {"signingSecret": None}}, format="json")
    assert nulled.json()["test_settings"] == {"signingSecret": {"set": False}}
    owner_api.patch(url, {"settings": {"signingSecret": "whsec_2"}}, format="json")
    emptied = owner_api.patch(url, {"settings": {"signingSecret": ""}}, format="json")
    assert emptied.json()["test_settings"] == {"signingSecret": {"set": False}}


def test_samples_given_at_creation_replace_the_templates(owner_api):
    request = {"method": "POST", "url": "https://example.com/hook", "headers": {}, "body": {}}
    stripe = create_function(
        owner_api,
        name="Stripe",
        template="stripe",
        samples=[{"name": "mine", "request": request, "settings": {"signingSecret": "s"}}],
    )
    [sample] = samples_of(owner_api, stripe)
    assert sample["name"] == "mine" and sample["settings"] == {"signingSecret": {"set": True}}


def test_bad_samples_are_refused_in_words_at_their_place(owner_api):
    request = {"method": "POST", "url": "https://example.com/hook", "headers": {}, "body": {}}
    answer = owner_api.post(
        f"{API}/functions/",
        {
            "name": "Stripe",
            "template": "stripe",
            "samples": [
                {"name": "a", "request": request, "settings": {"nope": "x"}},
                {"name": "a", "request": request},
                {"name": "", "request": "not an object"},
            ],
        },
        format="json",
    )
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert errors["samples[0].settings.nope"] == ["Not a setting of this function."]
    assert errors["samples[1].name"] == ["Another sample is already named 'a'."]
    assert "samples[2].name" in errors and "samples[2].request" in errors
    assert not FunctionSample.objects.exists()


def test_samples_are_added_changed_and_deleted_by_owners(owner_api, api_client_for, source_admin):
    fn = create_function(owner_api, name="Plain")
    url = f"{API}/functions/{fn['id']}/samples/"
    request = {"method": "POST", "url": "https://example.com/hook", "headers": {}, "body": {}}
    made = owner_api.post(url, {"name": "first", "request": request}, format="json")
    assert made.status_code == 201, made.json()
    taken = owner_api.post(url, {"name": "first", "request": request}, format="json")
    assert taken.json()["errors"] == {"name": ["This function already has a sample 'first'."]}

    admin = api_client_for(source_admin, fn_workspace(fn))
    sample_url = f"{url}{made.json()['id']}/"
    assert admin.post(url, {"name": "x", "request": request}, format="json").status_code == 403
    assert admin.patch(sample_url, {"name": "renamed"}, format="json").status_code == 403
    assert admin.patch(sample_url, {"settings": {}}, format="json").status_code == 200
    assert admin.delete(sample_url).status_code == 403
    assert owner_api.delete(sample_url).status_code == 204
    assert samples_of(owner_api, fn) == []


def fn_workspace(fn):
    from catalog.models import Function

    return Function.objects.get(pk=fn["id"]).workspace


def test_members_see_samples_with_credential_headers_masked(owner_api, api_client_for, member_user):
    stripe = create_function(owner_api, name="Stripe", template="stripe")
    member = api_client_for(member_user, fn_workspace(stripe))

    signed = by_name(samples_of(member, stripe))["charge.succeeded (signed)"]

    assert signed["request"]["headers"]["Stripe-Signature"].startswith("••••")
    owners = by_name(samples_of(owner_api, stripe))["charge.succeeded (signed)"]
    assert owners["request"]["headers"]["Stripe-Signature"].startswith("t=")
    assert (
        member.post(
            f"{API}/functions/{stripe['id']}/test/", {"sample": signed["id"]}, format="json"
        ).status_code
        == 403
    )


def test_a_sample_of_another_function_or_workspace_is_not_found(
    owner_api, api_client_for, outsider
):
    stripe = create_function(owner_api, name="Stripe", template="stripe")
    other = create_function(owner_api, name="Plain")
    sample = samples_of(owner_api, stripe)[0]

    wrong_function = owner_api.get(f"{API}/functions/{other['id']}/samples/{sample['id']}/")
    assert wrong_function.status_code == 404
    run_other = owner_api.post(
        f"{API}/functions/{other['id']}/test/", {"sample": sample["id"]}, format="json"
    )
    assert run_other.json()["errors"] == {
        "sample": [f"This function has no sample {sample['id']}."]
    }
    stranger = api_client_for(outsider, outsider.memberships.get().workspace)
    path = f"/functions/{stripe['id']}/samples/{sample['id']}/"
    assert stranger.get(f"{API}{path}").status_code == 404
    assert stranger.get(f"/api/v1/workspaces/other{path}").status_code == 404


def test_a_run_needs_a_request_or_a_sample(owner_api):
    fn = create_function(owner_api, name="Plain")
    answer = owner_api.post(f"{API}/functions/{fn['id']}/test/", {}, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"request": ["Give a request, or a sample to run."]}
