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
      setObject('accounts', account, account);
      break;

    case 'PaymentProcessed':
    case 'PaymentDeclined': {
      const payment = part(body, 'payment');
      Segment.track({
        event: body.eventCategory === 'PaymentProcessed' ? 'Payment Processed' : 'Payment Declined',
        userId,
        properties: {
          paymentId: payment.id,
          paymentNumber: payment.paymentNumber,
          amount: amountOf(payment.amount),
          currency: account.currency,
          gatewayResponse: payment.gatewayResponse,
        },
        timestamp,
      });
      setObject('payments', payment, account);
      break;
    }

    case 'InvoicePosted': {
      const invoice = part(body, 'invoice');
      Segment.track({
        event: 'Invoice Posted',
        userId,
        properties: {
          invoiceNumber: invoice.invoiceNumber,
          amount: amountOf(invoice.amount),
          balance: amountOf(invoice.balance),
          dueDate: invoice.dueDate,
          currency: account.currency,
        },
        timestamp,
      });
      setObject('invoices', invoice, account);
      break;
    }

    case 'SubscriptionCreated':
    case 'SubscriptionCancelled': {
      const subscription = part(body, 'subscription');
      Segment.track({
        event: body.eventCategory === 'SubscriptionCreated' ? 'Subscription Created' : 'Subscription Cancelled',
        userId,
        properties: {
          subscriptionNumber: subscription.subscriptionNumber,
          status: subscription.status,
          termType: subscription.termType,
        },
        timestamp,
      });
      setObject('subscriptions', subscription, account);
      break;
    }

    default:
      throw new EventNotSupported(`${body.eventCategory} is not supported`);
  }
}

// The record a callout of this category is about, which its body must hold.
function part(body, name) {
  if (!body[name] || typeof body[name] !== 'object') {
    throw new InvalidEventPayload(`A ${body.eventCategory} callout needs "${name}" (see the samples)`);
  }
  return body[name];
}

// The record as an object of the collection, when the callout gives its id.
function setObject(collection, record, account) {
  if (!record.id) return;
  Segment.set({ collection, id: record.id, properties: { accountId: account.id, ...record } });
}

// Merge fields render amounts as strings; a missing one is left out.
function amountOf(value) {
  const number = Number(value);
  return value === undefined || value === null || value === '' || Number.isNaN(number) ? undefined : number;
}

// Zuora sends the callout credentials as HTTP Basic authentication.
function checkBasicAuth(request, username, password) {
  const expected = 'Basic ' + btoa(`${username}:${password}`);
  if (request.headers.get('Authorization') !== expected) {
    throw new ValidationError('Callout credentials do not match the username and password settings');
  }
}
