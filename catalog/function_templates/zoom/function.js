// Zoom webhooks: https://developers.zoom.us/docs/api/webhooks/
// Zoom validates the endpoint URL when it is saved, and every 72 hours: an
// endpoint.url_validation request whose plainToken must come back with its HMAC under
// the app's Secret Token. This function responds to the sender (Configure › Responds to
// the sender); every other request is an event, answered with the usual 200.
async function onRequest(request, settings) {
  if (!settings.secretToken) {
    throw new ValidationError('Set the Secret Token of the Zoom app (the secretToken setting) to answer Zoom');
  }
  // Every request is checked, the URL validation too: answered unsigned, the HMAC of
  // any plainToken would let anyone sign an event of their own.
  verifySignature(request, settings.secretToken);
  const body = request.json();

  if (body.event === 'endpoint.url_validation') {
    const plainToken = body.payload && body.payload.plainToken;
    if (!plainToken) throw new InvalidEventPayload('endpoint.url_validation without payload.plainToken');
    const encryptedToken = crypto.createHmac('sha256', settings.secretToken).update(plainToken).digest('hex');
    return Response.json({ plainToken, encryptedToken });
  }

  const object = body.payload && body.payload.object;
  if (!body.event || !object) {
    throw new InvalidEventPayload('Not a Zoom event: "event" or "payload.object" is missing');
  }
  const timestamp = isoTime(body.event_ts);
  const meeting = {
    meetingId: object.id === undefined ? undefined : String(object.id),
    meetingUuid: object.uuid,
    topic: object.topic,
    accountId: body.payload.account_id,
  };

  switch (body.event) {
    case 'meeting.started':
    case 'meeting.ended':
      Segment.track({
        event: body.event === 'meeting.started' ? 'Meeting Started' : 'Meeting Ended',
        userId: object.host_id,
        properties: { ...meeting, type: object.type, startTime: object.start_time, endTime: object.end_time, duration: object.duration },
        timestamp,
      });
      break;

    case 'meeting.participant_joined':
    case 'meeting.participant_left': {
      const participant = object.participant || {};
      const joined = body.event === 'meeting.participant_joined';
      Segment.track({
        event: joined ? 'Meeting Participant Joined' : 'Meeting Participant Left',
        // A guest without a Zoom account has no user id; its participant id stands in.
        ...(participant.user_id ? { userId: participant.user_id } : { anonymousId: participant.participant_uuid || participant.id }),
        properties: { ...meeting, name: participant.user_name, email: participant.email || undefined, hostId: object.host_id },
        timestamp: (joined ? participant.join_time : participant.leave_time) || timestamp,
      });
      break;
    }

    case 'recording.completed':
      Segment.track({
        event: 'Recording Completed',
        userId: object.host_id,
        properties: {
          ...meeting,
          files: (object.recording_files || []).length,
          totalSize: object.total_size,
          duration: object.duration,
          shareUrl: object.share_url,
        },
        timestamp,
      });
      break;

    default:
      throw new EventNotSupported(`${body.event} is not supported`);
  }
}

// Zoom times are epoch milliseconds; one missing (or not a time) is left out.
function isoTime(millis) {
  const date = new Date(millis);
  return typeof millis === 'number' && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

// x-zm-signature: v0=<hex HMAC-SHA256 of "v0:<x-zm-request-timestamp>:<raw body>">.
// The timestamp is not checked for age so that captured requests can be replayed.
function verifySignature(request, secret) {
  const timestamp = request.headers.get('x-zm-request-timestamp');
  const signature = request.headers.get('x-zm-signature') || '';
  if (!timestamp || !signature.startsWith('v0=')) {
    throw new ValidationError('Missing x-zm-signature or x-zm-request-timestamp header');
  }
  const expected = 'v0=' + crypto.createHmac('sha256', secret).update(`v0:${timestamp}:${request.text()}`).digest('hex');
  if (!safeEqual(expected, signature)) {
    throw new ValidationError('Zoom signature does not match: check the Secret Token');
  }
}

// Constant-time comparison, so response times reveal nothing about the expected value.
function safeEqual(a, b) {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
