// Twilio Messaging webhooks: https://www.twilio.com/docs/messaging/guides/webhook-request
// Twilio posts form fields (application/x-www-form-urlencoded), not JSON. Point a phone
// number's "A message comes in" webhook and your messages' StatusCallback here. Twilio
// reads the answer to an inbound message as TwiML (https://www.twilio.com/docs/messaging/twiml):
// this function responds to the sender (Configure) with a reply, or an empty <Response/>.
async function onRequest(request, settings) {
  if (settings.authToken) verifySignature(request, settings.authToken);
  const params = Object.fromEntries(new URLSearchParams(request.text()));
  if (!params.MessageSid) {
    throw new InvalidEventPayload('Not a Twilio message webhook: "MessageSid" is missing');
  }
  if (settings.accountSid && params.AccountSid !== settings.accountSid) {
    throw new ValidationError(`Message belongs to another Twilio account (${params.AccountSid})`);
  }

  if (params.MessageStatus) {
    trackStatus(params);
    return;
  }

  // An inbound message: the sender's number is the only identity Twilio knows.
  Segment.identify({
    userId: params.From,
    traits: {
      phone: params.From,
      city: params.FromCity || undefined,
      state: params.FromState || undefined,
      country: params.FromCountry || undefined,
    },
  });
  const optedOut = OPT_OUT_WORDS.includes((params.Body || '').trim().toUpperCase());
  Segment.track({
    event: optedOut ? 'SMS Opted Out' : 'SMS Received',
    userId: params.From,
    properties: {
      messageSid: params.MessageSid,
      body: params.Body,
      to: params.To,
      media: Number(params.NumMedia || 0),
      segments: Number(params.NumSegments || 1),
    },
  });
  // Twilio answers opt-out keywords itself; anything else gets the reply, if one is set.
  return twiml(!optedOut && settings.autoReply ? `<Message>${escapeXml(settings.autoReply)}</Message>` : '');
}

function twiml(verbs) {
  const xml = `<?xml version="1.0" encoding="UTF-8"?><Response>${verbs}</Response>`;
  return new Response(xml, { status: 200, headers: { 'Content-Type': 'text/xml' } });
}

function escapeXml(text) {
  const entities = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
  return String(text).replace(/[&<>"']/g, (char) => entities[char]);
}

// Twilio itself blocks further messages after these keywords, so record the opt-out.
const OPT_OUT_WORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'];

// Delivery reports for messages you sent: the recipient is the user.
function trackStatus(params) {
  const events = {
    sent: 'SMS Sent',
    delivered: 'SMS Delivered',
    undelivered: 'SMS Undelivered',
    failed: 'SMS Failed',
    read: 'SMS Read',
  };
  const event = events[params.MessageStatus];
  // Intermediate states (accepted, queued, sending) are followed by a final one.
  if (!event) return;
  Segment.track({
    event,
    userId: params.To,
    properties: {
      messageSid: params.MessageSid,
      from: params.From,
      status: params.MessageStatus,
      errorCode: params.ErrorCode || undefined,
    },
  });
}

// X-Twilio-Signature: the base64 HMAC-SHA1, keyed with the account's Auth Token, of the
// URL Twilio posted to followed by each form field's name and value, sorted by name
// (https://www.twilio.com/docs/usage/webhooks/webhooks-security). The URL is the one
// Twilio was given: behind a proxy, the product's PUBLIC_URL must be that address.
function verifySignature(request, token) {
  const fields = [...new URLSearchParams(request.text())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signed = request.url + fields.map(([name, value]) => name + value).join('');
  const expected = crypto.createHmac('sha1', token).update(signed).digest('base64');
  if (!safeEqual(expected, request.headers.get('X-Twilio-Signature') || '')) {
    throw new ValidationError('X-Twilio-Signature does not match: check the Auth Token and the webhook URL Twilio posts to');
  }
}

// Constant-time comparison, so response times reveal nothing about the expected value.
function safeEqual(a, b) {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
