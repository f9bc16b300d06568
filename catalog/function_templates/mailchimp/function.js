// Mailchimp audience webhooks: https://mailchimp.com/developer/marketing/guides/sync-audience-data-webhooks/
// Mailchimp posts form fields with nested names ("data[merges][FNAME]") and signs nothing,
// so put a secret in the webhook URL (…?key=<secret>) and set it as the "URL key" setting.
async function onRequest(request, settings) {
  if (settings.urlKey && request.url.searchParams.get('key') !== settings.urlKey) {
    throw new ValidationError('The "key" query parameter does not match the URL key setting');
  }
  // Mailchimp checks the URL with an empty request when the webhook is saved.
  if (!request.text()) return;

  const form = new URLSearchParams(request.text());
  const field = (name) => form.get(`data[${name}]`) || undefined;
  // Mailchimp knows subscribers by email address only.
  const userId = field('email');
  const timestamp = isoTime(form.get('fired_at'));
  const listId = field('list_id');

  switch (form.get('type')) {
    case 'subscribe':
    case 'profile':
      Segment.identify({
        userId,
        traits: {
          email: field('email'),
          firstName: field('merges][FNAME'),
          lastName: field('merges][LNAME'),
          emailType: field('email_type'),
          mailchimpId: field('id'),
        },
        timestamp,
      });
      if (form.get('type') === 'subscribe') {
        Segment.track({ event: 'List Subscribed', userId, properties: { listId }, timestamp });
      }
      break;

    case 'unsubscribe':
      Segment.track({
        event: 'List Unsubscribed',
        userId,
        properties: { listId, reason: field('reason'), campaignId: field('campaign_id') },
        timestamp,
      });
      break;

    case 'cleaned':
      Segment.track({
        event: 'Email Bounced',
        userId,
        properties: { listId, reason: field('reason'), campaignId: field('campaign_id') },
        timestamp,
      });
      break;

    case 'upemail':
      // The address is the user id, so a changed address is an alias of the old one.
      Segment.alias({ previousId: field('old_email'), userId: field('new_email'), timestamp });
      break;

    default:
      throw new EventNotSupported(`${form.get('type')} is not supported`);
  }
}

// Mailchimp's fired_at is "2024-05-02 10:40:12" in UTC; one missing (or not a time) is left
// out, and the event gets the time it arrived.
function isoTime(firedAt) {
  const iso = `${(firedAt || '').replace(' ', 'T')}Z`;
  return firedAt && !Number.isNaN(new Date(iso).getTime()) ? iso : undefined;
}
