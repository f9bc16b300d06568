// The npm `oauth` package (OAuth 1.0a and OAuth2 clients) over the fetch bridge.
// RSA-SHA1 signing needs crypto.createSign, which this runtime does not have.
module.exports = require('oauth');
