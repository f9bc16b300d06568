module.exports = require('./http.js').makeModule('http:', false);
