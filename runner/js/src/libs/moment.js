// moment with the time zone database (moment-timezone), exposed as `moment`.
module.exports = require('moment-timezone');
