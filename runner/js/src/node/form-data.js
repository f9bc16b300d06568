// The form-data package: the runner's FormData (multipart bodies, getHeaders()).
module.exports = globalThis.FormData;
