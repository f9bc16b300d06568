// Calendly webhooks (API v2): https://developer.calendly.com/api-docs/webhooks
// Each request is {event: "invitee.created" | "invitee.canceled" | ..., created_at, payload}.
async function onRequest(request, settings) {
  if (settings.signingKey) {
    verifySignature(request, settings.signingKey);
  }

  const { event, payload } = request.json();
  if (!payload) {
    throw new InvalidEventPayload('Not a Calendly webhook: "payload" is missing');
  }
  // Calendly knows invitees only by their email, so it is the user id here.
  const userId = payload.email;
  const meeting = payload.scheduled_event || {};
  const properties = {
    meetingName: meeting.name,
    startTime: meeting.start_time,
    endTime: meeting.end_time,
    location: meeting.location && meeting.location.type,
    host: meeting.event_memberships && meeting.event_memberships[0] && meeting.event_memberships[0].user_email,
    eventUri: payload.event,
    inviteeUri: payload.uri,
  };

  switch (event) {
    case 'invitee.created':
      Segment.identify({
        userId,
        traits: {
          email: payload.email,
          name: payload.name,
          firstName: payload.first_name || undefined,
          lastName: payload.last_name || undefined,
          timezone: payload.timezone,
        },
        timestamp: payload.created_at,
      });
      Segment.track({
        event: payload.old_invitee ? 'Meeting Rescheduled' : 'Meeting Scheduled',
        userId,
        properties: { ...properties, answers: answers(payload), ...utm(payload.tracking) },
        timestamp: payload.created_at,
      });
      break;

    case 'invitee.canceled':
      // A reschedule cancels the old booking first; the new invitee.created tells the story.
      if (payload.rescheduled) return;
      Segment.track({
        event: 'Meeting Canceled',
        userId,
        properties: {
          ...properties,
          canceledBy: payload.cancellation && payload.cancellation.canceler_type,
          reason: payload.cancellation && payload.cancellation.reason,
        },
        timestamp: payload.updated_at,
      });
      break;

    default:
      throw new EventNotSupported(`${event} is not supported`);
  }
}

function answers(payload) {
  const answered = (payload.questions_and_answers || []).filter((qa) => qa && qa.question);
  return Object.fromEntries(answered.map((qa) => [qa.question, qa.answer]));
}

// UTM parameters on the booking link end up in "tracking"; keep the ones that are set.
function utm(tracking) {
  return Object.fromEntries(Object.entries(tracking || {}).filter(([, value]) => value));
}

// Calendly-Webhook-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">.
function verifySignature(request, key) {
  const header = request.headers.get('Calendly-Webhook-Signature') || '';
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=')));
  const expected = crypto
    .createHmac('sha256', key)
    .update(`${parts.t}.${request.text()}`)
    .digest('hex');
  if (!parts.t || !parts.v1 || !safeEqual(expected, parts.v1)) {
    throw new ValidationError('Calendly-Webhook-Signature does not match: check the signing key');
  }
}

// Constant-time comparison, so response times reveal nothing about the expected value.
function safeEqual(a, b) {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
