// GitHub webhooks: https://docs.github.com/webhooks/webhook-events-and-payloads
// The event name comes in the X-GitHub-Event header; the body's "action" refines it.
async function onRequest(request, settings) {
  if (settings.webhookSecret) {
    verifySignature(request, settings.webhookSecret);
  }

  const eventName = request.headers.get('X-GitHub-Event');
  const body = request.json();
  // GitHub's own user id is stable across renames, unlike the login.
  const userId = body.sender && String(body.sender.id);
  const repo = body.repository;

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
          branch: body.ref.replace('refs/heads/', ''),
          commits: body.commits.length,
          forced: body.forced,
          compareUrl: body.compare,
          login: body.sender.login,
        },
        timestamp: body.head_commit ? body.head_commit.timestamp : undefined,
      });
      Segment.set({ collection: 'repositories', id: String(repo.id), properties: repositoryProperties(repo) });
      break;

    case 'issues':
      Segment.track({
        event: `Issue ${capitalize(body.action)}`,
        userId,
        properties: {
          repository: repo.full_name,
          number: body.issue.number,
          title: body.issue.title,
          state: body.issue.state,
          labels: body.issue.labels.map((label) => label.name),
          url: body.issue.html_url,
          login: body.sender.login,
        },
        timestamp: body.issue.updated_at,
      });
      Segment.set({
        collection: 'issues',
        id: String(body.issue.id),
        properties: {
          repository: repo.full_name,
          number: body.issue.number,
          title: body.issue.title,
          state: body.issue.state,
          author: body.issue.user.login,
          comments: body.issue.comments,
          createdAt: body.issue.created_at,
          closedAt: body.issue.closed_at,
        },
      });
      break;

    case 'star':
      Segment.track({
        event: body.action === 'created' ? 'Repository Starred' : 'Repository Unstarred',
        userId,
        properties: { repository: repo.full_name, stars: repo.stargazers_count, login: body.sender.login },
        timestamp: body.starred_at || undefined,
      });
      Segment.set({ collection: 'repositories', id: String(repo.id), properties: repositoryProperties(repo) });
      break;

    default:
      throw new EventNotSupported(`${eventName} is not supported`);
  }
}

function repositoryProperties(repo) {
  return {
    fullName: repo.full_name,
    private: repo.private,
    stars: repo.stargazers_count,
    forks: repo.forks_count,
    openIssues: repo.open_issues_count,
    language: repo.language,
  };
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
