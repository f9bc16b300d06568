// Stripe webhooks: https://docs.stripe.com/webhooks
// Each request is one Event object: {id, type, created, data: {object}}. Only `type` and
// `data.object` are needed: a field Stripe (or a hand-written test) leaves out is left out
// of what is sent, and an event without `created` gets the time it arrived.
async function onRequest(request, settings) {
  if (settings.signingSecret) {
    verifySignature(request, settings.signingSecret);
  }

  const event = request.json();
  const object = event.data && event.data.object;
  if (!event.type || !object) {
    throw new InvalidEventPayload('Not a Stripe event: "type" or "data.object" is missing');
  }
  const timestamp = isoTime(event.created);

  switch (event.type) {
    case 'customer.created':
    case 'customer.updated':
      Segment.identify({
        userId: object.id,
        traits: {
          email: object.email,
          name: object.name,
          phone: object.phone,
          description: object.description,
          createdAt: isoTime(object.created),
        },
        timestamp,
      });
      Segment.set({ collection: 'customers', id: object.id, properties: customerProperties(object) });
      break;

    case 'charge.succeeded':
    case 'charge.failed':
    case 'charge.refunded':
      Segment.track({
        event: titleCase(event.type),
        // Charges from guest checkouts have no customer; the charge id keeps them apart.
        ...(object.customer ? { userId: object.customer } : { anonymousId: object.id }),
        properties: {
          chargeId: object.id,
          amount: cents(object.amount),
          amountRefunded: cents(object.amount_refunded),
          currency: object.currency,
          status: object.status,
          paymentMethod: object.payment_method_details && object.payment_method_details.type,
          failureMessage: object.failure_message,
        },
        timestamp,
      });
      break;

    case 'invoice.created':
    case 'invoice.finalized':
    case 'invoice.paid':
    case 'invoice.payment_failed':
      Segment.track({
        event: titleCase(event.type),
        userId: object.customer,
        properties: {
          invoiceId: object.id,
          number: object.number,
          total: cents(object.total),
          amountPaid: cents(object.amount_paid),
          currency: object.currency,
          subscriptionId: object.subscription,
        },
        timestamp,
      });
      Segment.set({ collection: 'invoices', id: object.id, properties: invoiceProperties(object) });
      break;

    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
      Segment.track({
        event: titleCase(event.type.replace('customer.', '')),
        userId: object.customer,
        properties: { subscriptionId: object.id, status: object.status, plan: planOf(object) },
        timestamp,
      });
      Segment.set({
        collection: 'subscriptions',
        id: object.id,
        properties: {
          customerId: object.customer,
          status: object.status,
          plan: planOf(object),
          currentPeriodEnd: isoTime(object.current_period_end),
          cancelAtPeriodEnd: object.cancel_at_period_end,
        },
      });
      break;

    default:
      throw new EventNotSupported(`${event.type} is not supported`);
  }
}

// "charge.succeeded" -> "Charge Succeeded", "invoice.payment_failed" -> "Invoice Payment Failed"
function titleCase(type) {
  return type
    .split(/[._]/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

function planOf(subscription) {
  const item = subscription.items && subscription.items.data && subscription.items.data[0];
  return item && item.price ? item.price.nickname || item.price.id : undefined;
}

// Stripe times are Unix seconds; undefined when missing, so the field is left out.
function isoTime(seconds) {
  const date = new Date(seconds * 1000);
  return typeof seconds === 'number' && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

// Stripe amounts are integers in the currency's smallest unit (cents).
function cents(amount) {
  return typeof amount === 'number' ? amount / 100 : undefined;
}

function customerProperties(customer) {
  return {
    email: customer.email,
    name: customer.name,
    currency: customer.currency,
    delinquent: customer.delinquent,
    createdAt: isoTime(customer.created),
  };
}

function invoiceProperties(invoice) {
  return {
    customerId: invoice.customer,
    number: invoice.number,
    status: invoice.status,
    total: cents(invoice.total),
    amountDue: cents(invoice.amount_due),
    amountPaid: cents(invoice.amount_paid),
    currency: invoice.currency,
    subscriptionId: invoice.subscription,
  };
}

// Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">.
// The timestamp is not checked for age so that captured requests can be replayed.
function verifySignature(request, secret) {
  const header = request.headers.get('Stripe-Signature') || '';
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=')));
  if (!parts.t || !parts.v1) {
    throw new ValidationError('Missing or malformed Stripe-Signature header');
  }
  const expected = crypto
    .createHmac('sha256', secret)
    .update(`${parts.t}.${request.text()}`)
    .digest('hex');
  if (!safeEqual(expected, parts.v1)) {
    throw new ValidationError('Stripe signature does not match: check the signing secret');
  }
}

// Constant-time comparison, so response times reveal nothing about the expected value.
function safeEqual(a, b) {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
