// Zendesk webhooks fired by triggers: https://developer.zendesk.com/documentation/webhooks/
// A trigger's JSON body is yours to write with placeholders; this template expects
//   {"event": "ticket_created", "ticket": {"id": "{{ticket.id}}", "status": "{{ticket.status}}", ...},
//    "requester": {"id": "{{ticket.requester.id}}", "external_id": "{{ticket.requester.external_id}}", ...}}
// (see the samples). Placeholders render as strings, so numbers are converted here.
async function onRequest(request, settings) {
  if (settings.signingSecret) {
    verifySignature(request, settings.signingSecret);
  }

  const { event, ticket, requester } = request.json();
  if (!ticket || !requester) {
    throw new InvalidEventPayload('The trigger body needs "ticket" and "requester" objects');
  }
  const eventName = TICKET_EVENTS[event];
  if (!eventName) {
    throw new EventNotSupported(`${event} is not supported`);
  }
  // Your own user id when it was synced to Zendesk; otherwise Zendesk's, marked as such.
  const who = requester.external_id
    ? { userId: requester.external_id }
    : { anonymousId: idOf(requester.id) && `zendesk:${requester.id}` };

  Segment.identify({ ...who, traits: { email: requester.email, name: requester.name } });
  Segment.track({
    event: eventName,
    ...who,
    properties: {
      ticketId: idOf(ticket.id) && Number(ticket.id),
      subject: ticket.subject,
      status: ticket.status,
      priority: ticket.priority || undefined,
      ticketType: ticket.type || undefined,
      channel: ticket.via,
      group: ticket.group || undefined,
      satisfaction: ticket.satisfaction || undefined,
      tags: ticket.tags ? ticket.tags.split(' ') : [],
    },
    timestamp: ticket.updated_at,
  });
  if (idOf(ticket.id) === undefined) return;
  Segment.set({
    collection: 'tickets',
    id: String(ticket.id),
    properties: {
      subject: ticket.subject,
      status: ticket.status,
      priority: ticket.priority || undefined,
      requesterId: idOf(requester.id),
      assignee: ticket.assignee || undefined,
      createdAt: ticket.created_at,
      updatedAt: ticket.updated_at,
      url: ticket.url,
    },
  });
}

// Placeholders of fields a ticket lacks render empty; such an id stays missing.
function idOf(id) {
  return id === undefined || id === null || id === '' ? undefined : String(id);
}

const TICKET_EVENTS = {
  ticket_created: 'Ticket Created',
  ticket_updated: 'Ticket Updated',
  ticket_solved: 'Ticket Solved',
  satisfaction_rated: 'Ticket Rated',
};

// X-Zendesk-Webhook-Signature: base64 HMAC-SHA256 of "<signature timestamp><raw body>".
function verifySignature(request, secret) {
  const received = request.headers.get('X-Zendesk-Webhook-Signature') || '';
  const timestamp = request.headers.get('X-Zendesk-Webhook-Signature-Timestamp') || '';
  const expected = crypto
    .createHmac('sha256', secret)
    .update(timestamp + request.text())
    .digest('base64');
  if (!safeEqual(expected, received)) {
    throw new ValidationError('X-Zendesk-Webhook-Signature does not match: check the signing secret');
  }
}

// Constant-time comparison, so response times reveal nothing about the expected value.
function safeEqual(a, b) {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
