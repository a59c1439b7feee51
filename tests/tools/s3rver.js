// s3rver.js: a real S3-compatible server for the tests, @20minutes/s3rver
// 5.x run as a library on Debian's nodejs. It checks SigV4 signatures.
//
//   node s3rver.js MODULE_DIR DATA_DIR PORT BUCKET ACCESS_KEY SECRET_KEY
//
// Prints "ready PORT" once it listens, then one line per request and
// store event (parts of multipart uploads among them).
'use strict';
const [dir, data, port, bucket, key, secret] = process.argv.slice(2);
const S3rver = require(dir + '/node_modules/@20minutes/s3rver');
const account = require(dir +
    '/node_modules/@20minutes/s3rver/lib/models/account');

account.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
account.DUMMY_ACCOUNT.createKeyPair(key, secret);
const server = new S3rver({
	address: '127.0.0.1',
	port: Number(port),
	directory: data,
	silent: false,
	configureBuckets: [{ name: bucket }],
});
server.run().then((addr) => {
	console.log('ready ' + addr.port);
}, (err) => {
	console.error('s3rver: ' + err);
	process.exit(1);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
