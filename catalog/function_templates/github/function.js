// GitHub webhooks: https://docs.github.com/webhooks/webhook-events-and-payloads
// The event name comes in the X-GitHub-Event header; the body's "action" refines it.
async function onRequest(request, settings) {
  if (settings.webhookSecret) {
    verifySignature(request, settings.webhookSecret);
  }

  const eventName = request.headers.get('X-GitHub-Event');
  const body = request.json();
  // GitHub's own user id is stable across renames, unlike the login. Fields GitHub leaves
  // out of an event (or a hand-written test does) are left out of what is sent.
  const sender = body.sender || {};
  const userId = idOf(sender.id);
  const repo = body.repository || {};

  switch (eventName) {
    case 'ping':
      // Sent once when the webhook is created: nothing to record.
      return;

    case 'push':
      Segment.track({
        event: 'Code Pushed',
        userId,
        properties: {
          repository: repo.full_name,
          ref: body.ref,
          branch: body.ref ? body.ref.replace('refs/heads/', '') : undefined,
          commits: body.commits ? body.commits.length : undefined,
          forced: body.forced,
          compareUrl: body.compare,
          login: sender.login,
        },
        timestamp: body.head_commit ? body.head_commit.timestamp : undefined,
      });
      setRepository(repo);
      break;

    case 'issues': {
      const issue = body.issue;
      if (!issue) {
        throw new InvalidEventPayload('Not a GitHub issues event: "issue" is missing');
      }
      Segment.track({
        event: body.action ? `Issue ${capitalize(body.action)}` : 'Issue Updated',
        userId,
        properties: {
          repository: repo.full_name,
          number: issue.number,
          title: issue.title,
          state: issue.state,
          labels: (issue.labels || []).map((label) => label.name),
          url: issue.html_url,
          login: sender.login,
        },
        timestamp: issue.updated_at,
      });
      if (issue.id !== undefined) {
        Segment.set({
          collection: 'issues',
          id: String(issue.id),
          properties: {
            repository: repo.full_name,
            number: issue.number,
            title: issue.title,
            state: issue.state,
            author: issue.user && issue.user.login,
            comments: issue.comments,
            createdAt: issue.created_at,
            closedAt: issue.closed_at,
          },
        });
      }
      break;
    }

    case 'star':
      Segment.track({
        event: body.action === 'created' ? 'Repository Starred' : 'Repository Unstarred',
        userId,
        properties: { repository: repo.full_name, stars: repo.stargazers_count, login: sender.login },
        timestamp: body.starred_at || undefined,
      });
      setRepository(repo);
      break;

    default:
      throw new EventNotSupported(`${eventName} is not supported`);
  }
}

// The repository as an object, when the event names one.
function setRepository(repo) {
  if (repo.id === undefined) return;
  Segment.set({
    collection: 'repositories',
    id: String(repo.id),
    properties: {
      fullName: repo.full_name,
      private: repo.private,
      stars: repo.stargazers_count,
      forks: repo.forks_count,
      openIssues: repo.open_issues_count,
      language: repo.language,
    },
  });
}

// GitHub ids are numbers; a missing one stays missing (never the text "undefined").
function idOf(id) {
  return id === undefined || id === null ? undefined : String(id);
}

function capitalize(word) {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

// X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>.
function verifySignature(request, secret) {
  const received = request.headers.get('X-Hub-Signature-256') || '';
  const expected =
    'sha256=' + crypto.createHmac('sha256', secret).update(request.text()).digest('hex');
  if (!safeEqual(expected, received)) {
    throw new ValidationError('X-Hub-Signature-256 does not match: check the webhook secret');
  }
}

// Constant-time comparison, so response times reveal nothing about the expected value.
function safeEqual(a, b) {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
