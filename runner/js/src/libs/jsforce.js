// jsforce (Salesforce) without its command line, file registry and streaming client;
// its `request` is a small client over the fetch bridge (../node/request.js).
const jsforce = require('jsforce/lib/core');
require('jsforce/lib/api');

module.exports = jsforce;
