// Intercom webhooks: https://developers.intercom.com/docs/webhooks
// Every notification is {type: "notification_event", topic, created_at, data: {item}}.
async function onRequest(request, settings) {
  if (settings.clientSecret) {
    verifySignature(request, settings.clientSecret);
  }

  const notification = request.json();
  const item = notification.data && notification.data.item;
  if (notification.type !== 'notification_event' || !item) {
    throw new InvalidEventPayload('Not an Intercom notification: "data.item" is missing');
  }
  const timestamp = isoTime(notification.created_at);

  switch (notification.topic) {
    case 'contact.user.created':
    case 'contact.lead.created':
    case 'contact.user.updated':
      Segment.identify({
        ...identity(item),
        traits: {
          email: item.email,
          name: item.name,
          phone: item.phone,
          role: item.role,
          intercomId: item.id,
          createdAt: isoTime(item.created_at),
        },
        timestamp,
      });
      break;

    case 'conversation.user.created':
    case 'conversation.admin.replied':
    case 'conversation.admin.closed': {
      const contact = item.contacts && item.contacts.contacts && item.contacts.contacts[0];
      if (!contact) {
        throw new InvalidEventPayload('This conversation names no contact ("data.item.contacts")');
      }
      Segment.track({
        event: CONVERSATION_EVENTS[notification.topic],
        ...identity(contact),
        properties: {
          conversationId: item.id,
          state: item.state,
          channel: item.source && item.source.delivered_as,
          subject: item.source && item.source.subject,
          assignee: item.admin_assignee_id,
          url: item.source && item.source.url,
        },
        timestamp,
      });
      break;
    }

    default:
      throw new EventNotSupported(`${notification.topic} is not supported`);
  }
}

const CONVERSATION_EVENTS = {
  'conversation.user.created': 'Conversation Started',
  'conversation.admin.replied': 'Conversation Replied',
  'conversation.admin.closed': 'Conversation Closed',
};

// Your own user id (external_id) when Intercom knows it; leads only have Intercom's id.
function identity(contact) {
  return contact.external_id ? { userId: contact.external_id } : { anonymousId: contact.id };
}

// Intercom times are Unix seconds; one missing (or not a time) is left out.
function isoTime(seconds) {
  const date = new Date(seconds * 1000);
  return typeof seconds === 'number' && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

// X-Hub-Signature: sha1=<hex HMAC-SHA1 of the raw body, keyed with the app's client secret>.
function verifySignature(request, secret) {
  const received = request.headers.get('X-Hub-Signature') || '';
  const expected = 'sha1=' + crypto.createHmac('sha1', secret).update(request.text()).digest('hex');
  if (!safeEqual(expected, received)) {
    throw new ValidationError('X-Hub-Signature does not match: check the client secret');
  }
}

// Constant-time comparison, so response times reveal nothing about the expected value.
function safeEqual(a, b) {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
