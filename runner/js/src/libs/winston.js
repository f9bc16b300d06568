// winston 2 as Segment exposes it (`winstonlib.winston`). Its Console transport writes to
// process.stdout/stderr, which in the sandbox are the function's console log.
module.exports = { winston: require('winston') };
