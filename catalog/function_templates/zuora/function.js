// Zuora callout notifications: https://knowledgecenter.zuora.com/Zuora_Platform/Events_and_Notifications
// Configure the notification's callout with Basic authentication and a JSON body built
// from merge fields, e.g. {"eventCategory": "PaymentProcessed", "eventTimestamp": ...,
// "account": {...}, "payment": {...}} (see the samples).
async function onRequest(request, settings) {
  if (settings.username) {
    checkBasicAuth(request, settings.username, settings.password || '');
  }

  const body = request.json();
  const account = body.account;
  if (!body.eventCategory || !account || !account.accountNumber) {
    throw new InvalidEventPayload('A Zuora callout needs "eventCategory" and "account.accountNumber"');
  }
  // The account number is what finance and support quote; the id is internal to Zuora.
  const userId = account.accountNumber;
  const timestamp = body.eventTimestamp;

  switch (body.eventCategory) {
    case 'AccountCreated':
    case 'AccountUpdated':
      Segment.identify({
        userId,
        traits: {
          name: account.name,
          email: account.billToEmail,
          currency: account.currency,
          status: account.status,
          crmId: account.crmId,
        },
        timestamp,
      });
      Segment.set({ collection: 'accounts', id: account.id, properties: { ...account } });
      break;

    case 'PaymentProcessed':
    case 'PaymentDeclined':
      Segment.track({
        event: body.eventCategory === 'PaymentProcessed' ? 'Payment Processed' : 'Payment Declined',
        userId,
        properties: {
          paymentId: body.payment.id,
          paymentNumber: body.payment.paymentNumber,
          amount: Number(body.payment.amount),
          currency: account.currency,
          gatewayResponse: body.payment.gatewayResponse,
        },
        timestamp,
      });
      Segment.set({
        collection: 'payments',
        id: body.payment.id,
        properties: { accountId: account.id, ...body.payment },
      });
      break;

    case 'InvoicePosted':
      Segment.track({
        event: 'Invoice Posted',
        userId,
        properties: {
          invoiceNumber: body.invoice.invoiceNumber,
          amount: Number(body.invoice.amount),
          balance: Number(body.invoice.balance),
          dueDate: body.invoice.dueDate,
          currency: account.currency,
        },
        timestamp,
      });
      Segment.set({
        collection: 'invoices',
        id: body.invoice.id,
        properties: { accountId: account.id, ...body.invoice },
      });
      break;

    case 'SubscriptionCreated':
    case 'SubscriptionCancelled':
      Segment.track({
        event: body.eventCategory === 'SubscriptionCreated' ? 'Subscription Created' : 'Subscription Cancelled',
        userId,
        properties: {
          subscriptionNumber: body.subscription.subscriptionNumber,
          status: body.subscription.status,
          termType: body.subscription.termType,
        },
        timestamp,
      });
      Segment.set({
        collection: 'subscriptions',
        id: body.subscription.id,
        properties: { accountId: account.id, ...body.subscription },
      });
      break;

    default:
      throw new EventNotSupported(`${body.eventCategory} is not supported`);
  }
}

// Zuora sends the callout credentials as HTTP Basic authentication.
function checkBasicAuth(request, username, password) {
  const expected = 'Basic ' + btoa(`${username}:${password}`);
  if (request.headers.get('Authorization') !== expected) {
    throw new ValidationError('Callout credentials do not match the username and password settings');
  }
}
