const test = require('node:test');
const assert = require('node:assert');
const { sign } = require('./lib.js');
test('sign', () => { assert.strictEqual(sign(3), 1); assert.strictEqual(sign(0), 0); });
