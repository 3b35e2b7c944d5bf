'use strict';
// Hearth's Node.js worker: one long-lived process that runs one function version.
//
// Started by the daemon as `/usr/bin/node /runtimes/nodejs/worker.js` and spoken to over fd 3 with the
// frames described in ../PROTOCOL.md: it says `hello`, receives one `load` (the function's files
// and entry), then answers each `invoke` with one `result`. Everything the function prints goes
// to fd 1 and fd 2, which the daemon reads. On Linux, Node writes to pipes synchronously, so what
// console.log printed is in the pipe before the `result` frame is written: nothing to flush.
//
// No npm packages. The worker is on the hot path of every execution, so an invocation costs one
// JSON.parse, the call, one JSON.stringify and one socket write.

const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const util = require('util');

const FRAME_FD = 3;
const RUNTIME = process.env.HEARTH_RUNTIME || 'nodejs';
const CODE_DIR = process.env.HEARTH_CODE_DIR || '/code';

const socket = new net.Socket({ fd: FRAME_FD, readable: true, writable: true });

// Set by `load`: the function wrapped in its calling convention, or why loading failed.
let callFunction = null;
let loadError = null;
// The invocation waiting for its result, so that an error thrown asynchronously (a timer, an
// unhandled rejection) can be reported as that invocation's failure.
let current = null;

// ---- frames --------------------------------------------------------------------------------

// Writes one frame whose header is the JSON text `header` (the worker never sends a blob).
function writeFrame(header) {
  const length = Buffer.byteLength(header);
  const frame = Buffer.allocUnsafe(8 + length);
  frame.writeUInt32BE(length + 4, 0);
  frame.writeUInt32BE(length, 4);
  frame.write(header, 8);
  socket.write(frame);
}

// Reassembles frames from the stream. Chunks are kept in a list and joined only when a frame
// spans several of them, so a large frame is copied once rather than once per chunk.
const chunks = [];
let buffered = 0;
let frameLength = -1; // the frame whose prefix has been read, or -1 while waiting for a prefix
let headerLength = 0;

function take(count) {
  if (chunks[0].length < count) {
    const joined = Buffer.concat(chunks, buffered);
    chunks.length = 0;
    chunks.push(joined);
  }
  const first = chunks[0];
  const taken = first.subarray(0, count);
  if (first.length === count) chunks.shift();
  else chunks[0] = first.subarray(count);
  buffered -= count;
  return taken;
}

function onData(chunk) {
  chunks.push(chunk);
  buffered += chunk.length;
  for (;;) {
    if (frameLength < 0) {
      if (buffered < 8) return;
      const prefix = take(8);
      frameLength = prefix.readUInt32BE(0);
      headerLength = prefix.readUInt32BE(4);
      if (frameLength < 4 || headerLength > frameLength - 4) {
        protocolError(`bad frame lengths ${frameLength}/${headerLength}`);
      }
    }
    if (buffered < frameLength - 4) return;
    const body = take(frameLength - 4);
    frameLength = -1;
    dispatch(JSON.parse(body.toString('utf8', 0, headerLength)), body.subarray(headerLength));
  }
}

function dispatch(message, blob) {
  if (message.type === 'invoke') invoke(message);
  else if (message.type === 'load') load(message, blob);
  else protocolError(`unexpected message type ${JSON.stringify(message.type)}`);
}

function protocolError(reason) {
  process.stderr.write(`hearth worker: protocol error: ${reason}\n`);
  process.exit(2);
}

// ---- errors --------------------------------------------------------------------------------

function isError(value) {
  return value !== null && typeof value === 'object' && typeof value.message === 'string';
}

// What a user sees as the output of a failed call: the error's message, else the value as text.
function errorMessage(value) {
  if (isError(value)) return value.message || value.name || 'Error';
  try {
    return String(value);
  } catch {
    return 'Error';
  }
}

function printError(value) {
  const text = isError(value) && typeof value.stack === 'string' ? value.stack : `Uncaught ${errorMessage(value)}`;
  process.stderr.write(`${text}\n`);
}

// ---- load ----------------------------------------------------------------------------------

function load(message, blob) {
  let reply;
  if (callFunction !== null || loadError !== null) {
    reply = { type: 'loaded', ok: false, error: 'this worker is already loaded' };
  } else {
    try {
      writeFiles(message.files || [], blob);
      // FunctionGraph user_data: set before the require, since module code may read it.
      Object.assign(process.env, message.environment || {});
      const makeCall = CONVENTIONS[message.convention];
      if (makeCall === undefined) {
        throw new Error(`unknown calling convention ${JSON.stringify(message.convention)}`);
      }
      callFunction = makeCall(resolve(message.entry || ''));
      reply = { type: 'loaded', ok: true };
    } catch (error) {
      printError(error);
      loadError = errorMessage(error);
      reply = { type: 'loaded', ok: false, error: loadError };
    }
  }
  writeFrame(JSON.stringify(reply));
}

// Writes the package's files (their contents concatenated in `blob`) under CODE_DIR.
function writeFiles(files, blob) {
  if (files.reduce((sum, file) => sum + file.size, 0) !== blob.length) {
    throw new Error("the file sizes do not add up to the length of the load frame's blob");
  }
  let offset = 0;
  for (const file of files) {
    const relative = file.path;
    if (!relative || relative.startsWith('/') || relative.split('/').includes('..')) {
      throw new Error(`invalid file path ${JSON.stringify(relative)}`);
    }
    const target = path.join(CODE_DIR, relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, blob.subarray(offset, offset + file.size));
    fs.chmodSync(target, (file.mode ?? 0o644) & 0o7777);
    offset += file.size;
  }
}

// Requires the module of `module.function` (split at the last dot) and returns the function.
function resolve(entry) {
  const dot = entry.lastIndexOf('.');
  if (dot <= 0 || dot === entry.length - 1) {
    throw new Error(`invalid entry ${JSON.stringify(entry)}: expected module.function`);
  }
  const moduleName = entry.slice(0, dot);
  const name = entry.slice(dot + 1);
  const modulePath = path.join(CODE_DIR, moduleName);
  let exports;
  try {
    exports = require(modulePath);
  } catch (error) {
    // Node's message names the absolute path and the worker's require stack; the user only
    // needs to know which of their modules is missing. A missing dependency keeps its message.
    if (error.code === 'MODULE_NOT_FOUND' && error.message.startsWith(`Cannot find module '${modulePath}'`)) {
      throw new Error(`Cannot find module '${moduleName}'`);
    }
    throw error;
  }
  const fn = exports[name];
  if (fn === undefined) throw new Error(`module '${moduleName}' does not export '${name}'`);
  if (typeof fn !== 'function') throw new Error(`'${entry}' is not a function`);
  return fn;
}

// ---- calling conventions -------------------------------------------------------------------
// Each builder runs once at load and returns call(message, start) for the hot path.

function remainingMilliseconds(deadline) {
  return Math.max(0, Math.floor(deadline - performance.now()));
}

// The context of a Qinling function: plain data, plus a method on the prototype so that
// JSON.stringify(context) shows only the data.
class QinlingContext {
  #deadline;

  constructor(message, start) {
    this.execution_id = message.execution_id;
    this.function_id = message.function_id;
    this.function_version = message.version;
    this.timeout = message.timeout;
    this.#deadline = start + (message.timeout || 0) * 1000;
  }

  getRemainingTimeInMilliSeconds() {
    return remainingMilliseconds(this.#deadline);
  }
}

// context.getLogger(): lines `<UTC time> <request id> <LEVEL> <message>` on stdout.
class FunctionGraphLogger {
  #requestId;

  constructor(requestId) {
    this.#requestId = requestId;
  }

  #log(level, args) {
    process.stdout.write(`${new Date().toISOString()} ${this.#requestId} ${level} ${util.format(...args)}\n`);
  }

  debug(...args) { this.#log('DEBUG', args); }
  info(...args) { this.#log('INFO', args); }
  warn(...args) { this.#log('WARN', args); }
  error(...args) { this.#log('ERROR', args); }
}

// The context of handler(event, context), with FunctionGraph's methods. Descriptive values the
// protocol does not carry come from the environment names FunctionGraph's runtime uses
// (RUNTIME_FUNC_NAME, RUNTIME_MEMORY, ...), with defaults that fit a local daemon. Credentials
// are never given to functions: the key and token getters return "".
class FunctionGraphContext {
  #requestId;
  #functionId;
  #version;
  #timeout;
  #deadline;

  constructor(message, start) {
    this.#requestId = message.execution_id;
    this.#functionId = message.function_id;
    this.#version = message.version;
    this.#timeout = message.timeout || 0;
    this.#deadline = start + this.#timeout * 1000;
  }

  getRequestID() { return this.#requestId; }
  getRemainingTimeInMilliSeconds() { return remainingMilliseconds(this.#deadline); }
  getRunningTimeInSeconds() { return Math.floor(this.#timeout); }
  getUserData(key, defaultValue) { return key in process.env ? process.env[key] : defaultValue; }
  getFunctionName() { return process.env.RUNTIME_FUNC_NAME || this.#functionId; }
  // FunctionGraph's `latest` is Qinling's version 0.
  getVersion() { return process.env.RUNTIME_FUNC_VERSION || (this.#version ? String(this.#version) : 'latest'); }
  getAlias() { return process.env.RUNTIME_FUNC_ALIAS || ''; }
  getMemorySize() { return Number(process.env.RUNTIME_MEMORY) || 128; }
  getCPUNumber() { return Number(process.env.RUNTIME_CPU) || os.availableParallelism(); }
  getProjectID() { return process.env.RUNTIME_PROJECT_ID || ''; }
  getPackage() { return process.env.RUNTIME_PACKAGE || 'default'; }
  getLogger() { return new FunctionGraphLogger(this.#requestId); }
  getAccessKey() { return ''; }
  getSecretKey() { return ''; }
  getSecurityAccessKey() { return ''; }
  getSecuritySecretKey() { return ''; }
  getToken() { return ''; }
  getSecurityToken() { return ''; }
}

const CONVENTIONS = {
  // handler(context, input)
  qinling: (fn) => (message, start) => fn(new QinlingContext(message, start), message.input),
  // handler(event, context)
  functiongraph: (fn) => (message, start) => fn(message.input, new FunctionGraphContext(message, start)),
};

// ---- invoke --------------------------------------------------------------------------------

function invoke(message) {
  if (callFunction === null) {
    writeFrame(JSON.stringify({
      type: 'result', ok: false, error_type: 'exception',
      output: loadError || 'no function is loaded', duration: 0,
    }));
    return;
  }
  const invocation = { start: performance.now(), done: false };
  current = invocation;
  let returned;
  try {
    returned = callFunction(message, invocation.start);
    if (returned !== null && (typeof returned === 'object' || typeof returned === 'function')
        && typeof returned.then === 'function') {
      returned.then((value) => finish(invocation, true, value), (error) => finish(invocation, false, error));
      return;
    }
  } catch (error) {
    finish(invocation, false, error);
    return;
  }
  finish(invocation, true, returned);
}

// Sends the invocation's one result; later outcomes (a second settlement, an async error after
// the result) are ignored.
function finish(invocation, ok, value) {
  if (invocation.done) return;
  invocation.done = true;
  if (current === invocation) current = null;
  const duration = (performance.now() - invocation.start) / 1000;
  if (!ok) {
    printError(value);
    writeFrame(JSON.stringify({
      type: 'result', ok: false, error_type: 'exception', output: errorMessage(value), duration,
    }));
    return;
  }
  let output;
  let problem;
  try {
    // undefined is null; a function or symbol has no JSON form (stringify returns undefined).
    output = value === undefined ? 'null' : JSON.stringify(value);
    if (output === undefined) problem = `a ${typeof value} has no JSON form`;
  } catch (error) { // BigInt, circular structures, a throwing toJSON
    problem = errorMessage(error);
  }
  if (problem !== undefined) {
    writeFrame(JSON.stringify({
      type: 'result', ok: false, error_type: 'unserializable',
      output: `The function returned a value that is not JSON serializable: ${problem}`, duration,
    }));
    return;
  }
  // The output is already JSON text: splice it in rather than encoding it a second time.
  writeFrame(`{"type":"result","ok":true,"output":${output},"duration":${duration}}`);
}

// Errors that escape the call's own stack: the invocation in progress failed. Between
// invocations nobody is waiting for them, so they are only printed; the worker keeps serving.
function onAsyncError(error) {
  if (current !== null) finish(current, false, error);
  else printError(error);
}

process.on('uncaughtException', onAsyncError);
process.on('unhandledRejection', onAsyncError);

socket.on('data', onData);
// End-of-file (or a reset) on fd 3: the daemon let go of this worker.
socket.on('end', () => process.exit(0));
socket.on('error', () => process.exit(0));

writeFrame(JSON.stringify({ type: 'hello', runtime: RUNTIME, pid: process.pid }));
