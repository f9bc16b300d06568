// Typeform webhooks: https://www.typeform.com/developers/webhooks/
// One "form_response" per submission; answers are keyed here by each field's "ref",
// which stays stable when a question's wording changes.
async function onRequest(request, settings) {
  if (settings.secret) {
    verifySignature(request, settings.secret);
  }

  const body = request.json();
  if (body.event_type !== 'form_response') {
    throw new EventNotSupported(`${body.event_type} is not supported`);
  }

  const response = body.form_response;
  if (!response) {
    throw new InvalidEventPayload('Not a Typeform response: "form_response" is missing');
  }
  const given = (response.answers || []).filter(Boolean);
  // An answer without its field's ref cannot be keyed: it is left out of `answers`.
  const keyed = given.filter((a) => a.field && a.field.ref);
  const answers = Object.fromEntries(keyed.map((a) => [a.field.ref, answerValue(a)]));
  const hidden = response.hidden || {};
  // Pass your own user id as a hidden field to tie the response to a known user;
  // otherwise the response token stands in for the anonymous respondent.
  const userField = settings.userIdHiddenField || 'user_id';
  const who = hidden[userField] ? { userId: hidden[userField] } : { anonymousId: response.token };

  const email = given.find((a) => a.type === 'email');
  if (email) {
    Segment.identify({ ...who, traits: { email: email.email }, timestamp: response.submitted_at });
  }

  Segment.track({
    event: 'Form Submitted',
    ...who,
    properties: {
      formId: response.form_id,
      formTitle: response.definition && response.definition.title,
      responseId: response.token,
      score: response.calculated ? response.calculated.score : undefined,
      ending: response.ending ? response.ending.ref : undefined,
      answers,
      hidden,
    },
    timestamp: response.submitted_at,
  });
}

// An answer keeps its value under a key named after its type ("text", "choice", ...).
function answerValue(answer) {
  switch (answer.type) {
    case 'choice':
      return answer.choice && (answer.choice.label || answer.choice.other);
    case 'choices':
      return answer.choices && answer.choices.labels;
    case 'payment':
      return answer.payment && answer.payment.amount;
    default:
      return answer[answer.type];
  }
}

// Typeform-Signature: sha256=<base64 HMAC-SHA256 of the raw body>.
function verifySignature(request, secret) {
  const received = request.headers.get('Typeform-Signature') || '';
  const expected =
    'sha256=' + crypto.createHmac('sha256', secret).update(request.text()).digest('base64');
  if (!safeEqual(expected, received)) {
    throw new ValidationError('Typeform-Signature does not match: check the secret');
  }
}

// Constant-time comparison, so response times reveal nothing about the expected value.
function safeEqual(a, b) {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
