// Workspace settings: members and roles, access tokens (shown once), audit log.
import { api, wsApi } from "../lib/api.js";
import { $, $$, h, pageData, toast } from "../lib/dom.js";
import { timeElement } from "../lib/time.js";

export function initSettings() {
  const data = pageData("settings-data");
  const path = wsApi(data.workspace);

  for (const select of $$(".member-role")) {
    select.addEventListener("change", async () => {
      try {
        await api("PATCH", path(`members/${select.dataset.member}/`), { role: select.value });
        toast("Role changed.");
      } catch (error) {
        toast(error.message, "error");
        location.reload();
      }
    });
  }
  for (const button of $$(".remove-member")) {
    button.addEventListener("click", async () => {
      if (!confirm(`Remove ${button.dataset.email} from the workspace? Their tokens are revoked.`)) return;
      try {
        await api("DELETE", path(`members/${button.dataset.member}/`));
        button.closest("tr").remove();
        toast("Member removed.");
      } catch (error) {
        toast(error.message, "error");
      }
    });
  }
  const showInvite = (url) => {
    $("#invite-url").value = url;
    $("#invite-once").hidden = false;
  };
  for (const button of $$(".withdraw-invitation")) {
    button.addEventListener("click", async () => {
      if (!confirm(`Withdraw the invitation of ${button.dataset.email}? Its link stops working.`)) return;
      try {
        await api("DELETE", path(`invitations/${button.dataset.invitation}/`));
        button.closest("tr").remove();
        toast("Invitation withdrawn.");
      } catch (error) {
        toast(error.message, "error");
      }
    });
  }
  for (const button of $$(".reinvite")) {
    button.addEventListener("click", async () => {
      try {
        showInvite((await api("POST", path(`members/${button.dataset.member}/invite/`))).invite_url);
      } catch (error) {
        toast(error.message, "error");
      }
    });
  }
  const addMember = $("#add-member");
  if (addMember) addMember.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $('[data-error="member"]');
    error.textContent = "";
    try {
      // An invitation: a member once they accept through the link (docs/security.md).
      const added = await api("POST", path("members/"), { email: $("#member-email").value.trim(), role: $("#member-role").value });
      $("#invitations").hidden = false;
      const role = $("#member-role").selectedOptions[0].textContent;
      $("#invitations tbody").append(h("tr", {}, h("td", {}, added.email), h("td", {}, role), h("td", {}, timeElement(added.expires_at)), h("td")));
      showInvite(added.invite_url);
      $("#member-email").value = "";
      toast(`Invited ${added.email}.`);
    } catch (problem) {
      error.textContent = [problem.message, ...Object.values(problem.errors).flat()].join(" ");
    }
  });

  $("#add-token").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const token = await api("POST", path("tokens/"), { name: $("#token-name").value.trim() });
      $("#new-token").value = token.token;
      $("#token-once").hidden = false;
      $("#tokens tbody").append(h("tr", { "data-token": token.id }, h("td", {}, token.name || "—"), h("td", {}, h("code", {}, `${token.hint}…`)), h("td", {}, token.owner), h("td", {}, "never"), h("td")));
      $("#token-name").value = "";
      $("#new-token").focus();
    } catch (error) {
      toast(error.message, "error");
    }
  });
  for (const button of $$(".revoke-token")) {
    button.addEventListener("click", async () => {
      if (!confirm("Revoke this token? Anything using it stops working.")) return;
      try {
        await api("DELETE", path(`tokens/${button.dataset.token}/`));
        button.closest("tr").remove();
        toast("Token revoked.");
      } catch (error) {
        toast(error.message, "error");
      }
    });
  }
}
