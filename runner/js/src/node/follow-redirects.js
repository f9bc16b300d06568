// follow-redirects (axios' Node transport): the bridge's fetch follows redirects itself,
// checking every hop against the network guard.
const { makeModule } = require('./http.js');

module.exports = { http: makeModule('http:', true), https: makeModule('https:', true), wrap: (modules) => modules };
