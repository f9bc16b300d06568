// Pipedrive webhooks (v1): https://pipedrive.readme.io/docs/guide-for-webhooks
// Each request is {meta: {action, object, id, timestamp, ...}, current, previous, event}.
async function onRequest(request, settings) {
  if (settings.username) {
    checkBasicAuth(request, settings.username, settings.password || '');
  }

  const { event, meta, current, previous } = request.json();
  if (!meta) {
    throw new InvalidEventPayload('Not a Pipedrive v1 webhook: "meta" is missing');
  }
  const timestamp = isoTime(meta.timestamp);

  switch (event) {
    case 'added.person':
    case 'updated.person':
      if (!current) {
        throw new InvalidEventPayload(`This ${event} webhook has no "current" person`);
      }
      Segment.identify({
        userId: idOf(current.id),
        traits: {
          name: current.name,
          firstName: current.first_name,
          lastName: current.last_name,
          email: primary(current.email),
          phone: primary(current.phone),
          company: current.org_name,
          createdAt: pipedriveTime(current.add_time),
        },
        timestamp,
      });
      break;

    case 'added.deal':
    case 'updated.deal':
    case 'deleted.deal': {
      // A deleted deal only has its last state in "previous".
      const deal = current || previous;
      if (!deal) {
        throw new InvalidEventPayload(`This ${event} webhook has neither a "current" nor a "previous" deal`);
      }
      Segment.track({
        event: dealEventName(event, current, previous),
        // A deal of no person is known by its own id.
        ...(deal.person_id ? { userId: String(deal.person_id) } : { anonymousId: idOf(deal.id) && `deal-${deal.id}` }),
        properties: {
          dealId: deal.id,
          title: deal.title,
          value: deal.value,
          currency: deal.currency,
          status: deal.status,
          stageId: deal.stage_id,
          pipelineId: deal.pipeline_id,
          organization: deal.org_name,
          owner: deal.owner_name,
          lostReason: deal.lost_reason || undefined,
        },
        timestamp,
      });
      Segment.set({
        collection: 'deals',
        id: idOf(deal.id),
        properties: {
          title: deal.title,
          value: deal.value,
          currency: deal.currency,
          status: event === 'deleted.deal' ? 'deleted' : deal.status,
          stageId: deal.stage_id,
          personId: deal.person_id,
          orgId: deal.org_id,
          expectedCloseDate: deal.expected_close_date,
          wonTime: pipedriveTime(deal.won_time),
          lostTime: pipedriveTime(deal.lost_time),
        },
      });
      break;
    }

    default:
      throw new EventNotSupported(`${event} is not supported`);
  }
}

// An update is only interesting for what changed: a win, a loss or a move through the pipeline.
function dealEventName(event, current, previous) {
  if (event === 'added.deal') return 'Deal Added';
  if (event === 'deleted.deal') return 'Deal Deleted';
  if (!current) return 'Deal Updated';
  if (previous && current.status !== previous.status) {
    if (current.status === 'won') return 'Deal Won';
    if (current.status === 'lost') return 'Deal Lost';
  }
  if (previous && current.stage_id !== previous.stage_id) return 'Deal Stage Changed';
  return 'Deal Updated';
}

function primary(entries) {
  const entry = (entries || []).find((e) => e.primary) || (entries || [])[0];
  return entry && entry.value ? entry.value : undefined;
}

// meta.timestamp is Unix seconds; one missing (or not a time) is left out.
function isoTime(seconds) {
  const date = new Date(seconds * 1000);
  return typeof seconds === 'number' && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

// Pipedrive ids are numbers; a missing one stays missing (never the text "undefined").
function idOf(id) {
  return id === undefined || id === null ? undefined : String(id);
}

// Pipedrive writes UTC times as "2024-05-02 10:40:00".
function pipedriveTime(value) {
  return value ? value.replace(' ', 'T') + 'Z' : undefined;
}

// Pipedrive sends the webhook's HTTP auth user and password as Basic authentication.
function checkBasicAuth(request, username, password) {
  const expected = 'Basic ' + btoa(`${username}:${password}`);
  if (request.headers.get('Authorization') !== expected) {
    throw new ValidationError('HTTP auth credentials do not match the username and password settings');
  }
}
