// The workspace switcher: declining an invitation (accepting takes its invite link).
import { api } from "../lib/api.js";
import { $$, toast } from "../lib/dom.js";

export function initWorkspaces() {
  for (const button of $$(".decline-invitation")) {
    button.addEventListener("click", async () => {
      if (!confirm(`Decline the invitation to ${button.dataset.workspace}? Its link stops working.`)) return;
      try {
        await api("DELETE", `/api/v1/invitations/${button.dataset.invitation}/`);
        button.closest("li").remove();
        toast("Invitation declined.");
      } catch (error) {
        toast(error.message, "error");
      }
    });
  }
}
