// Node's https module (request/get) over the fetch bridge.
module.exports = require('../node/https-module.js');
