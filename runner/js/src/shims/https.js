module.exports = require('./http.js')('https:');
