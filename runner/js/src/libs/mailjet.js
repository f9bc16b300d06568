// node-mailjet as Segment exposes it (`nodemailjet.nodemailjet`): the client class, as
// `require('node-mailjet')` gives it, with `connect` for functions written for version 3
// (`mailjet.connect(key, secret).post('send', { version: 'v3.1' }).request(body)`).
// Its browser build is bundled: its axios then sends through the global fetch, the
// runner's guarded one.
const build = require('node-mailjet/mailjet.web.js');

const Mailjet = build.default;
for (const name of Object.keys(build)) {
  if (name !== 'default' && !(name in Mailjet)) Mailjet[name] = build[name];
}
Mailjet.connect = (apiKey, apiSecret, options) => Mailjet.apiConnect(apiKey, apiSecret, options);

module.exports = { nodemailjet: Mailjet };
