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
        userId: String(body.id),
        traits: {
          email: body.email,
          firstName: body.first_name,
          lastName: body.last_name,
          phone: body.phone,
          ordersCount: body.orders_count,
          totalSpent: Number(body.total_spent),
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
        id: String(body.id),
        properties: {
          name: body.name,
          customerId: body.customer ? String(body.customer.id) : undefined,
          email: body.email,
          total: Number(body.total_price),
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
  return order.customer ? { userId: String(order.customer.id) } : { anonymousId: order.token };
}

function orderProperties(order, shop) {
  return {
    order_id: String(order.id),
    checkout_id: order.checkout_id ? String(order.checkout_id) : undefined,
    // Shopify sends money as strings ("19.99"); Segment's spec wants numbers.
    total: Number(order.total_price),
    subtotal: Number(order.subtotal_price),
    tax: Number(order.total_tax),
    discount: Number(order.total_discounts),
    shipping: order.shipping_lines.reduce((sum, line) => sum + Number(line.price), 0),
    coupon: order.discount_codes.map((code) => code.code).join(',') || undefined,
    currency: order.currency,
    shop,
    products: order.line_items.map((item) => ({
      product_id: String(item.product_id),
      variant: item.variant_title || undefined,
      sku: item.sku,
      name: item.title,
      price: Number(item.price),
      quantity: item.quantity,
    })),
  };
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
