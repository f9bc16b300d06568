// jsonwebtoken: HMAC (HS256/384/512) tokens; RSA and EC keys need crypto.createSign,
// which this runtime does not have (the error says so).
module.exports = require('jsonwebtoken');
