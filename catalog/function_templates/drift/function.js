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
        userId: String(data.id),
        traits: { ...data.attributes, driftOrgId: body.orgId },
        timestamp: toISO(data.createdAt),
      });
      break;

    case 'new_conversation':
      Segment.track({
        event: 'Conversation Started',
        userId: String(data.contactId),
        properties: { conversationId: data.id, status: data.status, inboxId: data.inboxId },
        timestamp: toISO(data.createdAt),
      });
      break;

    case 'conversation_status_updated':
      Segment.track({
        event: `Conversation ${capitalize(data.status)}`,
        userId: String(data.contactId),
        properties: { conversationId: data.conversationId, status: data.status },
        timestamp: toISO(data.changedAt),
      });
      break;

    case 'new_message':
      // Messages from agents and bots are replies; only what the contact says is their action.
      Segment.track({
        event: data.author.type === 'contact' ? 'Message Sent' : 'Message Received',
        userId: String(data.author.type === 'contact' ? data.author.id : data.contactId),
        properties: {
          conversationId: data.conversationId,
          messageId: data.id,
          messageType: data.type,
          authorType: data.author.type,
          bot: data.author.bot,
        },
        timestamp: toISO(data.createdAt),
      });
      break;

    case 'playbook_goal_met':
      Segment.track({
        event: 'Playbook Goal Met',
        userId: String(data.contactId),
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

// Drift sends times as epoch milliseconds.
function toISO(epochMillis) {
  return epochMillis ? new Date(epochMillis).toISOString() : undefined;
}

function capitalize(word) {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
