// WhatsApp Cloud API webhooks (Meta): https://developers.facebook.com/docs/graph-api/webhooks/getting-started
// Meta verifies the callback URL with a GET (hub.mode=subscribe, hub.verify_token,
// hub.challenge) and expects the challenge back: this function accepts GET and responds
// to the sender (Configure). Notifications then come as POSTs signed with the app secret
// (X-Hub-Signature-256).
async function onRequest(request, settings) {
  if (request.method === 'GET') {
    return verification(request.url.searchParams, settings);
  }
  if (settings.appSecret) {
    verifySignature(request, settings.appSecret);
  }
  const body = request.json();
  if (body.object !== 'whatsapp_business_account' || !Array.isArray(body.entry)) {
    throw new EventNotSupported(`${body.object || 'this object'} is not supported: only whatsapp_business_account notifications are`);
  }
  for (const entry of body.entry) {
    for (const change of entry.changes || []) {
      if (change.field === 'messages') recordMessages(entry.id, change.value || {});
    }
  }
}

function verification(query, settings) {
  if (query.get('hub.mode') !== 'subscribe' || !query.get('hub.challenge')) {
    return new Response('Not a webhook verification request', { status: 400 });
  }
  // Meta asks for a 403 when the token is not the one set on its side.
  if (!settings.verifyToken || query.get('hub.verify_token') !== settings.verifyToken) {
    console.warn('WhatsApp verification refused: hub.verify_token is not the verifyToken setting');
    return new Response('Forbidden', { status: 403 });
  }
  return new Response(query.get('hub.challenge'), { status: 200, headers: { 'Content-Type': 'text/plain' } });
}

function recordMessages(accountId, value) {
  const phoneNumberId = value.metadata && value.metadata.phone_number_id;
  for (const contact of value.contacts || []) {
    Segment.identify({
      userId: contact.wa_id,
      traits: { name: contact.profile && contact.profile.name, phone: `+${contact.wa_id}` },
    });
  }
  for (const message of value.messages || []) {
    Segment.track({
      // Meta sends a notification again when it got no 200: the WhatsApp message id
      // as the message id keeps a repeat from counting twice.
      messageId: message.id,
      event: 'WhatsApp Message Received',
      userId: message.from,
      properties: {
        whatsappMessageId: message.id,
        type: message.type,
        text: message.text ? message.text.body : undefined,
        phoneNumberId,
        accountId,
      },
      timestamp: isoTime(message.timestamp),
    });
  }
  for (const status of value.statuses || []) {
    Segment.track({
      messageId: status.id && status.status ? `${status.id}-${status.status}` : undefined,
      event: status.status ? `WhatsApp Message ${status.status.charAt(0).toUpperCase()}${status.status.slice(1)}` : 'WhatsApp Message Status Changed',
      userId: status.recipient_id,
      properties: { whatsappMessageId: status.id, status: status.status, phoneNumberId, accountId },
      timestamp: isoTime(status.timestamp),
    });
  }
}

// Meta sends Unix seconds as strings; one missing (or not a time) is left out.
function isoTime(seconds) {
  const date = new Date(Number(seconds) * 1000);
  return seconds && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

// X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body under the app secret>.
function verifySignature(request, secret) {
  const signature = request.headers.get('X-Hub-Signature-256') || '';
  if (!signature.startsWith('sha256=')) {
    throw new ValidationError('Missing or malformed X-Hub-Signature-256 header');
  }
  const expected = 'sha256=' + crypto.createHmac('sha256', secret).update(request.text()).digest('hex');
  if (!safeEqual(expected, signature)) {
    throw new ValidationError('Meta signature does not match: check the app secret');
  }
}

// Constant-time comparison, so response times reveal nothing about the expected value.
function safeEqual(a, b) {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
