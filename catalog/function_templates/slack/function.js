// Slack Events API: https://api.slack.com/apis/events-api
// When the Request URL is saved in the app's "Event Subscriptions", Slack sends a
// url_verification request and waits for its challenge back: this function responds to
// the sender (Configure › Responds to the sender). Every later request is an
// event_callback wrapping one event, to be answered within 3 seconds.
async function onRequest(request, settings) {
  if (settings.signingSecret) {
    verifySignature(request, settings.signingSecret);
  }
  const body = request.json();

  if (body.type === 'url_verification') {
    return new Response(body.challenge, { status: 200, headers: { 'Content-Type': 'text/plain' } });
  }
  if (body.type !== 'event_callback' || !body.event) {
    throw new InvalidEventPayload('Not a Slack event: "type" is not event_callback or "event" is missing');
  }

  const event = body.event;
  // Slack sends an event again when it got no answer in time: the event id as the
  // message id keeps a retry from counting twice.
  const common = { messageId: body.event_id, timestamp: isoTime(body.event_time) };
  switch (event.type) {
    case 'message':
      // Edits, deletions, bot and join messages come as subtypes: only people's posts count.
      if (event.subtype) return;
      Segment.track({
        ...common,
        event: 'Message Posted',
        userId: event.user,
        properties: { channel: event.channel, channelType: event.channel_type, text: event.text, team: body.team_id },
      });
      break;

    case 'app_mention':
      Segment.track({
        ...common,
        event: 'App Mentioned',
        userId: event.user,
        properties: { channel: event.channel, text: event.text, team: body.team_id },
      });
      break;

    case 'reaction_added':
      Segment.track({
        ...common,
        event: 'Reaction Added',
        userId: event.user,
        properties: { reaction: event.reaction, itemType: event.item && event.item.type, channel: event.item && event.item.channel },
      });
      break;

    case 'team_join': {
      const user = event.user || {};
      const profile = user.profile || {};
      Segment.identify({
        messageId: body.event_id ? `${body.event_id}-identify` : undefined,
        userId: user.id,
        traits: { name: profile.real_name || user.real_name, email: profile.email, title: profile.title, timezone: user.tz },
      });
      Segment.track({ ...common, event: 'Team Joined', userId: user.id, properties: { team: body.team_id } });
      break;
    }

    default:
      throw new EventNotSupported(`${event.type} is not supported`);
  }
}

// Slack times are Unix seconds; one missing (or not a time) is left out.
function isoTime(seconds) {
  const date = new Date(seconds * 1000);
  return typeof seconds === 'number' && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

// X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<raw body>">.
// The timestamp is not checked for age so that captured requests can be replayed.
function verifySignature(request, secret) {
  const timestamp = request.headers.get('X-Slack-Request-Timestamp');
  const signature = request.headers.get('X-Slack-Signature') || '';
  if (!timestamp || !signature.startsWith('v0=')) {
    throw new ValidationError('Missing X-Slack-Signature or X-Slack-Request-Timestamp header');
  }
  const expected = 'v0=' + crypto.createHmac('sha256', secret).update(`v0:${timestamp}:${request.text()}`).digest('hex');
  if (!safeEqual(expected, signature)) {
    throw new ValidationError('Slack signature does not match: check the signing secret');
  }
}

// Constant-time comparison, so response times reveal nothing about the expected value.
function safeEqual(a, b) {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
