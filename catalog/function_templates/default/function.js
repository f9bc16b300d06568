// A starting point: the webhook body already describes one Segment message,
// e.g. {"type": "track", "event": "Signed Up", "userId": "u1", "properties": {...}}.
// Replace the mapping below with your provider's payload.
async function onRequest(request, settings) {
  const body = request.json();
  const { type, ...message } = body;

  switch (type) {
    case 'identify':
      Segment.identify(message);
      break;
    case 'track':
      if (!message.event) {
        // Without a name the event would be unusable downstream, so refuse it loudly.
        throw new InvalidEventPayload('A track message needs an "event" name');
      }
      Segment.track(message);
      break;
    case 'group':
      Segment.group(message);
      break;
    case 'page':
      Segment.page(message);
      break;
    case 'screen':
      Segment.screen(message);
      break;
    case 'alias':
      Segment.alias(message);
      break;
    default:
      throw new EventNotSupported(`${type} is not supported`);
  }
}
