module.exports = require('./http.js').makeModule('https:', false);
