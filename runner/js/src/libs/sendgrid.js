// @sendgrid/client and @sendgrid/mail as Segment exposes them (`sendgrid.client`,
// `sendgrid.mail`); axios, which they speak HTTP through, goes over the fetch bridge.
require('axios').defaults.adapter = require('../node/axios-adapter.js');

module.exports = { client: require('@sendgrid/client'), mail: require('@sendgrid/mail') };
