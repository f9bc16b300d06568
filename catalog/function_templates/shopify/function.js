// Shopify webhooks: https://shopify.dev/docs/api/webhooks
// The topic (orders/create, customers/update, ...) is in the X-Shopify-Topic header.
// Orders follow Segment's e-commerce spec so downstream tools recognise them.
async function onRequest(request, settings) {
  if (settings.clientSecret) {
    verifySignature(request, settings.clientSecret);
  }

  const topic = request.headers.get('X-Shopify-Topic');
  const shop = request.headers.get('X-Shopify-Shop-Domain');
  const body = request.json();

  switch (topic) {
    case 'customers/create':
    case 'customers/update':
      Segment.identify({
        userId: idOf(body.id),
        traits: {
          email: body.email,
          firstName: body.first_name,
          lastName: body.last_name,
          phone: body.phone,
          ordersCount: body.orders_count,
          totalSpent: money(body.total_spent),
          acceptsMarketing: body.email_marketing_consent
            ? body.email_marketing_consent.state === 'subscribed'
            : undefined,
          createdAt: body.created_at,
          shop,
        },
        timestamp: body.updated_at,
      });
      break;

    case 'orders/create':
    case 'orders/paid':
    case 'orders/cancelled':
      Segment.track({
        event: ORDER_EVENTS[topic],
        ...buyer(body),
        properties: orderProperties(body, shop),
        timestamp: topic === 'orders/cancelled' ? body.cancelled_at : body.updated_at,
      });
      Segment.set({
        collection: 'orders',
        id: idOf(body.id),
        properties: {
          name: body.name,
          customerId: body.customer ? idOf(body.customer.id) : undefined,
          email: body.email,
          total: money(body.total_price),
          currency: body.currency,
          financialStatus: body.financial_status,
          fulfillmentStatus: body.fulfillment_status,
          createdAt: body.created_at,
          cancelledAt: body.cancelled_at,
        },
      });
      break;

    default:
      throw new EventNotSupported(`${topic} is not supported`);
  }
}

const ORDER_EVENTS = {
  'orders/create': 'Order Completed',
  'orders/paid': 'Order Paid',
  'orders/cancelled': 'Order Cancelled',
};

// Guest checkouts have no customer; the order's token still ties its events together.
function buyer(order) {
  const customerId = order.customer && idOf(order.customer.id);
  return customerId ? { userId: customerId } : { anonymousId: order.token };
}

function orderProperties(order, shop) {
  return {
    order_id: idOf(order.id),
    checkout_id: idOf(order.checkout_id),
    total: money(order.total_price),
    subtotal: money(order.subtotal_price),
    tax: money(order.total_tax),
    discount: money(order.total_discounts),
    shipping: (order.shipping_lines || []).reduce((sum, line) => sum + (money(line.price) || 0), 0),
    coupon: (order.discount_codes || []).map((code) => code.code).join(',') || undefined,
    currency: order.currency,
    shop,
    products: (order.line_items || []).map((item) => ({
      product_id: idOf(item.product_id),
      variant: item.variant_title || undefined,
      sku: item.sku,
      name: item.title,
      price: money(item.price),
      quantity: item.quantity,
    })),
  };
}

// Shopify sends money as strings ("19.99"); Segment's spec wants numbers. A missing
// amount is left out.
function money(value) {
  const number = Number(value);
  return value === undefined || value === null || value === '' || Number.isNaN(number) ? undefined : number;
}

// Shopify ids are numbers; a missing one stays missing (never the text "undefined").
function idOf(id) {
  return id === undefined || id === null ? undefined : String(id);
}

// X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the raw body, keyed with the app's client secret.
function verifySignature(request, secret) {
  const received = request.headers.get('X-Shopify-Hmac-Sha256') || '';
  const expected = crypto.createHmac('sha256', secret).update(request.text()).digest('base64');
  if (!safeEqual(expected, received)) {
    throw new ValidationError('X-Shopify-Hmac-Sha256 does not match: check the client secret');
  }
}

// Constant-time comparison, so response times reveal nothing about the expected value.
function safeEqual(a, b) {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
