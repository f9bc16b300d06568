// @hubspot/api-client as Segment exposes it (`hubspotlib.hubspot`); its node-fetch is the
// runner's fetch.
module.exports = { hubspot: require('@hubspot/api-client') };
