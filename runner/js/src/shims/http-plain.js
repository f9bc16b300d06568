module.exports = require('./http.js')('http:');
