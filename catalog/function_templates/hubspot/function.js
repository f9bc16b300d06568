// HubSpot app webhooks: https://developers.hubspot.com/docs/api/webhooks
// HubSpot batches up to 100 events in one JSON array, so one unknown subscription type
// is skipped (and logged) rather than failing the whole batch.
async function onRequest(request, settings) {
  if (settings.clientSecret) {
    verifySignature(request, settings.clientSecret);
  }

  const events = request.json();
  if (!Array.isArray(events)) {
    throw new InvalidEventPayload('A HubSpot webhook body is a JSON array of events');
  }
  for (const event of events) {
    handle(event);
  }
}

function handle(event) {
  // Webhooks carry only ids and the changed property; the HubSpot record id is the user id.
  if (event.objectId === undefined || event.objectId === null) {
    console.log(`Skipped ${event.subscriptionType} event ${event.eventId}: it names no object`);
    return;
  }
  const id = String(event.objectId);
  const timestamp = isoTime(event.occurredAt);
  const change = event.propertyName ? { [event.propertyName]: event.propertyValue } : {};

  switch (event.subscriptionType) {
    case 'contact.creation':
      Segment.identify({ userId: id, traits: { hubspotPortalId: event.portalId }, timestamp });
      Segment.track({ event: 'Contact Created', userId: id, properties: { source: event.changeSource }, timestamp });
      break;

    case 'contact.propertyChange':
      Segment.identify({ userId: id, traits: change, timestamp });
      break;

    case 'deal.creation':
      Segment.set({ collection: 'deals', id, properties: { portalId: event.portalId, createdAt: timestamp } });
      break;

    case 'deal.propertyChange':
      Segment.set({ collection: 'deals', id, properties: change });
      break;

    default:
      console.log(`Skipped ${event.subscriptionType} event ${event.eventId}`);
  }
}

// HubSpot times are epoch milliseconds; one missing (or not a time) is left out.
function isoTime(millis) {
  const date = new Date(millis);
  return typeof millis === 'number' && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

// X-HubSpot-Signature-v3: base64 HMAC-SHA256 of method + URL + raw body + timestamp.
function verifySignature(request, secret) {
  const received = request.headers.get('X-HubSpot-Signature-v3') || '';
  const timestamp = request.headers.get('X-HubSpot-Request-Timestamp') || '';
  const expected = crypto
    .createHmac('sha256', secret)
    .update(`POST${request.url.href}${request.text()}${timestamp}`)
    .digest('base64');
  if (!safeEqual(expected, received)) {
    throw new ValidationError('X-HubSpot-Signature-v3 does not match: check the client secret');
  }
}

// Constant-time comparison, so response times reveal nothing about the expected value.
function safeEqual(a, b) {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
