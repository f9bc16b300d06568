// twilio-node: it speaks HTTP through axios, whose adapter here is the fetch bridge.
require('axios').defaults.adapter = require('../node/axios-adapter.js');

module.exports = require('twilio');
