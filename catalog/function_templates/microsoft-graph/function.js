// Microsoft Graph change notifications: https://learn.microsoft.com/graph/change-notifications-delivery-webhooks
// When a subscription is created, Graph POSTs to the notification URL with a
// validationToken in the query and waits (10 seconds) for it back as plain text: this
// function responds to the sender (Configure). Notifications then come in batches
// ({"value": [...]}), to be answered 202 Accepted.
async function onRequest(request, settings) {
  const validationToken = request.url.searchParams.get('validationToken');
  if (validationToken !== null) {
    return new Response(validationToken, { status: 200, headers: { 'Content-Type': 'text/plain' } });
  }

  const body = request.json();
  if (!Array.isArray(body.value)) {
    throw new InvalidEventPayload('Not a Graph notification: "value" is not a list');
  }
  for (const notification of body.value) {
    // The clientState given when the subscription was created comes back with every
    // notification: one without it was not sent for your subscription.
    if (settings.clientState && notification.clientState !== settings.clientState) {
      throw new ValidationError(`A notification of subscription ${notification.subscriptionId} has the wrong clientState`);
    }
    record(notification);
  }
  return new Response(null, { status: 202 });
}

function record(notification) {
  const common = {
    // Graph has no user for a notification: the subscription stands for the sender.
    anonymousId: notification.subscriptionId,
    properties: {
      subscriptionId: notification.subscriptionId,
      tenantId: notification.tenantId,
      resource: notification.resource,
    },
  };
  if (notification.lifecycleEvent) {
    // reauthorizationRequired, subscriptionRemoved, missed: the subscription needs care.
    Segment.track({ ...common, event: `Graph Subscription ${titleCase(notification.lifecycleEvent)}` });
    return;
  }
  const data = notification.resourceData || {};
  // "#Microsoft.Graph.Message" + "created" -> "Message Created"
  const kind = String(data['@odata.type'] || 'Resource').split('.').pop();
  Segment.track({
    ...common,
    messageId: notification.id ? [notification.id, notification.changeType].filter(Boolean).join('-') : undefined,
    event: `${titleCase(kind)} ${titleCase(notification.changeType || 'changed')}`,
    properties: { ...common.properties, changeType: notification.changeType, resourceId: data.id },
  });
}

// "reauthorizationRequired" -> "Reauthorization Required", "created" -> "Created"
function titleCase(word) {
  const spaced = word.replace(/([a-z])([A-Z])/g, '$1 $2');
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
