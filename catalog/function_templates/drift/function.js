// Drift webhooks: https://devdocs.drift.com/docs/webhook-events-1
// Every event is {orgId, type, data, token}; "token" is the app's verification token.
async function onRequest(request, settings) {
  const body = request.json();
  if (settings.verificationToken && body.token !== settings.verificationToken) {
    throw new ValidationError('The verification token does not match the Drift app');
  }

  const data = body.data || {};
  switch (body.type) {
    case 'contact_identified':
      Segment.identify({
        userId: idOf(data.id),
        traits: { ...data.attributes, driftOrgId: body.orgId },
        timestamp: toISO(data.createdAt),
      });
      break;

    case 'new_conversation':
      Segment.track({
        event: 'Conversation Started',
        userId: idOf(data.contactId),
        properties: { conversationId: data.id, status: data.status, inboxId: data.inboxId },
        timestamp: toISO(data.createdAt),
      });
      break;

    case 'conversation_status_updated':
      Segment.track({
        event: data.status ? `Conversation ${capitalize(data.status)}` : 'Conversation Updated',
        userId: idOf(data.contactId),
        properties: { conversationId: data.conversationId, status: data.status },
        timestamp: toISO(data.changedAt),
      });
      break;

    case 'new_message': {
      // Messages from agents and bots are replies; only what the contact says is their action.
      const author = data.author || {};
      Segment.track({
        event: author.type === 'contact' ? 'Message Sent' : 'Message Received',
        userId: idOf(author.type === 'contact' ? author.id : data.contactId),
        properties: {
          conversationId: data.conversationId,
          messageId: data.id,
          messageType: data.type,
          authorType: author.type,
          bot: author.bot,
        },
        timestamp: toISO(data.createdAt),
      });
      break;
    }

    case 'playbook_goal_met':
      Segment.track({
        event: 'Playbook Goal Met',
        userId: idOf(data.contactId),
        properties: {
          playbookId: data.playbookId,
          playbookName: data.playbookName,
          goalId: data.goalId,
          goalName: data.goalName,
          conversationId: data.conversationId,
        },
      });
      break;

    default:
      throw new EventNotSupported(`${body.type} is not supported`);
  }
}

// Drift sends times as epoch milliseconds; one missing (or not a time) is left out.
function toISO(epochMillis) {
  const date = new Date(epochMillis);
  return typeof epochMillis === 'number' && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

// Drift ids are numbers; a missing one stays missing (never the text "undefined").
function idOf(id) {
  return id === undefined || id === null ? undefined : String(id);
}

function capitalize(word) {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
